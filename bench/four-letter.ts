/** Four-letter words (srvr) over a plain socket, bounded in time. */
import { connect } from 'node:net';

const FOUR_LETTER_TIMEOUT_MS = 5_000;

/** Sends `word` and returns the server's whole plain-text answer. */
export function fourLetterWord(host: string, port: number, word: string, timeoutMs = FOUR_LETTER_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = connect({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`${word}: no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.on('connect', () => socket.end(word));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', (hadError) => {
      clearTimeout(timer);
      if (!hadError) resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}
