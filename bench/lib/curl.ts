/** The reference transfers: curl sending the same multipart request, and curl fetching the download URL. */
import { execFile, spawnSync } from 'node:child_process';

export interface CurlResult {
  status: number;
  seconds: number;
  uploaded: number;
  downloaded: number;
}

export function curlVersion(): string | undefined {
  const run = spawnSync('curl', ['--version'], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.split('\n')[0] : undefined;
}

function curl(args: string[]): Promise<CurlResult> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-s', '-w', '%{http_code} %{time_total} %{size_upload} %{size_download}', ...args], { maxBuffer: 1 << 20 }, (err, stdout) => {
      if (err) {
        reject(new Error(`curl failed: ${err.message}`));
        return;
      }
      const [status, seconds, uploaded, downloaded] = stdout.trim().split(/\s+/).map(Number);
      resolve({ status, seconds, uploaded, downloaded });
    });
  });
}

/**
 * POST the file as the `file` part of a multipart body with the task id header — the request
 * FileApi.sendFile makes in its second step. `Expect:` is switched off because our client does
 * not send it either (curl would otherwise wait for a 100 Continue first).
 */
export function curlUpload(uploadUrl: string, taskId: string, path: string, name: string): Promise<CurlResult> {
  return curl(['-o', '/dev/null', '-H', `Upload-Task-Id: ${taskId}`, '-H', 'Expect:', '-F', `file=@${path};filename=${name}`, uploadUrl]);
}

export function curlDownload(url: string, dest: string): Promise<CurlResult> {
  return curl(['-o', dest, url]);
}
