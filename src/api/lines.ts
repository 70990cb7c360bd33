// JSON-lines streams over the daemon's connections (build progress, pull and push messages,
// logs): what arrives is split into whole lines. Chunks fall anywhere, within a UTF-8 character
// too, so bytes are decoded across chunk boundaries before they are split.
import { StringDecoder } from 'node:string_decoder';

export class LineDecoder {
  private readonly text = new StringDecoder('utf8');
  private pending = '';

  /** The lines `chunk` completes, empty ones left out; a partial line waits for the next chunk. */
  push(chunk: Buffer): string[] {
    const lines = (this.pending + this.text.write(chunk)).split('\n');
    this.pending = lines.pop() ?? '';
    return lines.filter((line) => line !== '');
  }
}
