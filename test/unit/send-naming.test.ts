import * as assert from 'node:assert/strict';
import {
  assembleSelection,
  baseName,
  commentSyntaxFor,
  completeTrueConfId,
  extensionForLanguage,
  isValidTrueConfId,
  markerLine,
  mimeTypeForFileName,
  selectionCaption,
  selectionFileName,
  selectionLines,
  selectionMessage,
  SelectionSpan,
  splitFileName,
  untitledFileName,
} from '../../src/common/sendNaming';

/** A selection from (startLine, startCharacter) to (endLine, endCharacter), 0-based like VS Code. */
function sel(startLine: number, startCharacter: number, endLine: number, endCharacter: number, text: string): SelectionSpan {
  return { startLine, startCharacter, endLine, endCharacter, text };
}

describe('send/naming: file names', () => {
  it('splits names into stem and extension', () => {
    assert.deepEqual(splitFileName('server.ts'), { stem: 'server', extension: 'ts' });
    assert.deepEqual(splitFileName('archive.tar.gz'), { stem: 'archive.tar', extension: 'gz' });
    assert.deepEqual(splitFileName('.gitignore'), { stem: '.gitignore', extension: '' });
    assert.deepEqual(splitFileName('Makefile'), { stem: 'Makefile', extension: '' });
    assert.deepEqual(splitFileName('trailing.'), { stem: 'trailing.', extension: '' });
  });

  it('takes the last segment of a URI path', () => {
    assert.equal(baseName('/home/me/src/server.ts'), 'server.ts');
    assert.equal(baseName('server.ts'), 'server.ts');
    assert.equal(baseName('/home/me/src/'), 'src');
  });

  it('maps language ids to extensions, with .txt as the fallback', () => {
    assert.equal(extensionForLanguage('typescript'), 'ts');
    assert.equal(extensionForLanguage('python'), 'py');
    assert.equal(extensionForLanguage('shellscript'), 'sh');
    assert.equal(extensionForLanguage('plaintext'), 'txt');
    assert.equal(extensionForLanguage('some-new-language'), 'txt');
  });

  it('names untitled documents after their language', () => {
    assert.equal(untitledFileName('Untitled-1', 'typescript'), 'untitled-1.ts');
    assert.equal(untitledFileName('Untitled-12', 'markdown'), 'untitled-12.md');
    assert.equal(untitledFileName('Untitled-3', 'unknown-lang'), 'untitled-3.txt');
  });

  it('keeps a name the user gave an untitled document', () => {
    assert.equal(untitledFileName('/home/me/notes.md', 'markdown'), 'notes.md');
    assert.equal(untitledFileName('/home/me/draft', 'python'), 'draft.py');
    assert.equal(untitledFileName('', 'json'), 'untitled.json');
  });

  it('makes an untitled name safe for any file system', () => {
    assert.equal(untitledFileName('a:b*c?', 'python'), 'a_b_c_.py');
    assert.equal(untitledFileName('tab\there.txt', 'plaintext'), 'tab_here.txt');
  });

  it('names a selection file after the source and its lines', () => {
    assert.equal(selectionFileName('server.ts', { first: 10, last: 24 }, 'typescript'), 'server.L10-24.ts');
    assert.equal(selectionFileName('server.ts', { first: 7, last: 7 }, 'typescript'), 'server.L7.ts');
    assert.equal(selectionFileName('archive.test.js', { first: 1, last: 2 }, 'javascript'), 'archive.test.L1-2.js');
  });

  it('borrows the language extension when the source has none', () => {
    assert.equal(selectionFileName('Makefile', { first: 3, last: 5 }, 'makefile'), 'Makefile.L3-5.mk');
    assert.equal(selectionFileName('LICENSE', { first: 1, last: 1 }, 'plaintext'), 'LICENSE.L1.txt');
  });
});

describe('send/naming: MIME types', () => {
  it('names known types, text for text snapshots, octet-stream otherwise', () => {
    assert.equal(mimeTypeForFileName('shot.PNG'), 'image/png');
    assert.equal(mimeTypeForFileName('report.pdf'), 'application/pdf');
    assert.equal(mimeTypeForFileName('data.json', true), 'application/json');
    assert.equal(mimeTypeForFileName('server.L10-24.ts', true), 'text/plain');
    assert.equal(mimeTypeForFileName('server.ts'), 'application/octet-stream');
    assert.equal(mimeTypeForFileName('Makefile'), 'application/octet-stream');
  });
});

describe('send/naming: selections', () => {
  it('counts 1-based lines and leaves out the line a whole-line selection ends on', () => {
    assert.deepEqual(selectionLines(sel(9, 0, 24, 0, '')), { first: 10, last: 24 });
    assert.deepEqual(selectionLines(sel(9, 4, 23, 7, '')), { first: 10, last: 24 });
    assert.deepEqual(selectionLines(sel(9, 0, 9, 5, '')), { first: 10, last: 10 });
    // Selected upwards (anchor below the cursor): same lines.
    assert.deepEqual(selectionLines(sel(24, 0, 9, 0, '')), { first: 10, last: 24 });
  });

  it('sends one selection as it is', () => {
    const a = assembleSelection([sel(9, 0, 11, 0, 'const a = 1;\nconst b = 2;\n')], 'typescript');
    assert.deepEqual(a, {
      text: 'const a = 1;\nconst b = 2;\n',
      ranges: [{ first: 10, last: 11 }],
      span: { first: 10, last: 11 },
    });
  });

  it('puts several selections in document order, each after a marker line', () => {
    const a = assembleSelection(
      [sel(39, 0, 41, 0, 'second();\nthird();\n'), sel(9, 0, 9, 9, 'first();')],
      'typescript',
    );
    assert.ok(a);
    assert.equal(a.text, '// line 10\nfirst();\n// lines 40-41\nsecond();\nthird();\n');
    assert.deepEqual(a.ranges, [
      { first: 10, last: 10 },
      { first: 40, last: 41 },
    ]);
    assert.deepEqual(a.span, { first: 10, last: 41 });
  });

  it('writes markers in the language comment syntax, # when unknown', () => {
    const spans = [sel(0, 0, 0, 3, 'one'), sel(4, 0, 5, 2, 'two\n2')];
    assert.equal(assembleSelection(spans, 'python')?.text, '# line 1\none\n# lines 5-6\ntwo\n2\n');
    assert.equal(assembleSelection(spans, 'html')?.text, '<!-- line 1 -->\none\n<!-- lines 5-6 -->\ntwo\n2\n');
    assert.equal(assembleSelection(spans, 'css')?.text, '/* line 1 */\none\n/* lines 5-6 */\ntwo\n2\n');
    assert.equal(assembleSelection(spans, 'no-such-language')?.text, '# line 1\none\n# lines 5-6\ntwo\n2\n');
    assert.equal(markerLine({ first: 10, last: 24 }, commentSyntaxFor('rust')), '// lines 10-24');
  });

  it('keeps the document line ending between blocks', () => {
    const a = assembleSelection([sel(0, 0, 1, 0, 'a\r\n'), sel(2, 0, 2, 1, 'b')], 'typescript', '\r\n');
    assert.equal(a?.text, '// line 1\r\na\r\n// line 3\r\nb\r\n');
  });

  it('ignores bare cursors and returns nothing when nothing is selected', () => {
    assert.equal(assembleSelection([sel(3, 2, 3, 2, '')], 'typescript'), undefined);
    const a = assembleSelection([sel(3, 2, 3, 2, ''), sel(5, 0, 5, 4, 'five')], 'typescript');
    assert.equal(a?.text, 'five');
    assert.deepEqual(a?.ranges, [{ first: 6, last: 6 }]);
  });

  it('captions a selection with the workspace-relative path and its ranges', () => {
    assert.equal(selectionCaption('src/server.ts', [{ first: 10, last: 24 }]), 'src/server.ts:10-24');
    assert.equal(
      selectionCaption('src/server.ts', [
        { first: 10, last: 24 },
        { first: 40, last: 41 },
        { first: 50, last: 50 },
      ]),
      'src/server.ts:10-24,40-41,50',
    );
  });

  it('sends a selection as a message headed by where it came from', () => {
    const a = assembleSelection([sel(9, 0, 11, 0, 'x();\ny();\n')], 'typescript');
    assert.ok(a);
    assert.equal(selectionMessage('src/a.ts', a), 'src/a.ts:10-11\nx();\ny();');
  });
});

describe('send/naming: TrueConf IDs', () => {
  it('accepts login and login@domain', () => {
    for (const id of ['ivan', 'ivan.petrov', 'i_van-2', 'ivan@video.example.com', 'ivan@10.0.0.5', 'ivan@host:4309', 'иван@сервер.рф']) {
      assert.ok(isValidTrueConfId(id), id);
    }
  });

  it('rejects what cannot be a TrueConf ID', () => {
    for (const id of ['', ' ', 'ivan petrov', '@example.com', 'ivan@', 'ivan@@x', 'ivan@exa mple.com', 'a/b', 'ivan@.com']) {
      assert.ok(!isValidTrueConfId(id), id);
    }
  });

  it('completes a bare login with the own domain', () => {
    assert.equal(completeTrueConfId('bob', 'alice@video.example.com'), 'bob@video.example.com');
    assert.equal(completeTrueConfId(' bob ', 'alice@video.example.com/instance-1'), 'bob@video.example.com');
    assert.equal(completeTrueConfId('bob@other.example.com', 'alice@video.example.com'), 'bob@other.example.com');
    assert.equal(completeTrueConfId('bob', undefined), 'bob');
  });
});
