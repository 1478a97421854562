import * as assert from 'node:assert/strict';
import { isTrueConfError } from '../../src/trueconf/errors';
import { checkTextLength, visibleLength } from '../../src/trueconf/text-length';

describe('visible text length', () => {
  it('counts code points, not UTF-16 units', () => {
    assert.equal(visibleLength('😀😀'), 2);
    assert.equal(visibleLength('ёж'), 2);
  });

  it('counts plain text verbatim, markup included', () => {
    assert.equal(visibleLength('**b** <b>x</b>', 'text'), '**b** <b>x</b>'.length);
  });

  it('does not count markdown markers; a link counts as label, space, address', () => {
    assert.equal(visibleLength('**bold** and __b__ *i* _i_ ~~s~~', 'markdown'), 'bold and b i i s'.length);
    assert.equal(visibleLength('see [docs](https://x.io)', 'markdown'), 'see docs https://x.io'.length);
    assert.equal(visibleLength('snake_case_name 2*3*4', 'markdown'), 'snake_case_name 2*3*4'.length);
    assert.equal(visibleLength('> quoted', 'markdown'), 'quoted'.length);
  });

  it('does not count HTML tags; entities count once; a link counts as label, space, address', () => {
    assert.equal(visibleLength('<b>Build</b> <i>ok</i> &amp; &lt;done&gt; &#128512;', 'html'), [...'Build ok & <done> 😀'].length);
    assert.equal(visibleLength('<a href="https://x.io">docs</a>', 'html'), 'docs https://x.io'.length);
    assert.equal(visibleLength("<a href='mailto:a@b.c'><b>mail</b></a>", 'html'), 'mail mailto:a@b.c'.length);
    assert.equal(visibleLength('a<br>b', 'html'), 3);
  });

  it('refuses text over 4096 visible characters with a message naming both numbers', () => {
    assert.doesNotThrow(() => checkTextLength('x'.repeat(4096), 'text', 'message'));
    assert.throws(
      () => checkTextLength('x'.repeat(4097), 'text', 'message'),
      (err) => isTrueConfError(err, 'limit') && err.message === 'The message is 4097 characters long; TrueConf allows 4096.',
    );
    assert.doesNotThrow(() => checkTextLength(`<b>${'x'.repeat(4096)}</b>`, 'html', 'caption'));
    assert.throws(
      () => checkTextLength('😀'.repeat(4097), undefined, 'caption'),
      (err) => isTrueConfError(err, 'limit') && err.message.startsWith('The caption is 4097 characters long'),
    );
  });
});
