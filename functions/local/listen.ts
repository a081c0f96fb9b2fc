/** A local server's start: 127.0.0.1 only, and a port in use or refused said as a user's mistake. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { UserFileError } from './user-file.ts';

/** Listens on 127.0.0.1:`port` (0: any free one); resolves with the port it got. */
export function listenOnLoopback(server: Server, port: number): Promise<number> {
  return new Promise<number>((ok, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new UserFileError(
              `cannot serve on 127.0.0.1:${port} (${error.code === 'EADDRINUSE' ? 'in use' : 'not allowed'}): give another --port (0: any free one)`,
            )
          : error,
      ),
    );
    server.listen(port, '127.0.0.1', () => ok((server.address() as AddressInfo).port));
  });
}
