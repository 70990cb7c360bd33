// Splitting an expanded word into fields, as BuildKit's ProcessWords does while it expands:
// characters that came from an unquoted `$` expansion or plain text split on whitespace;
// escaped characters and quoted strings are added whole.
//
// BuildKit keeps the partial field in one buffer per lexer, and every nested `${name<op>word}`
// or `${name/pattern/replacement}` resets that buffer when it starts reading its own word. The
// effect is that text gathered for the current field before such an expansion is dropped:
// `hello${x:-foo}` splits into ["foo"]. `docker build` behaves so (EXPOSE and heredoc names go
// through this), and kiln keeps it so that the same Dockerfile yields the same result.
import { isSpace } from './words-scanner.js';

/** The partial field, shared by every level of one expansion (see the note above). */
export interface FieldBuffer {
  text: string;
}

export class Fields {
  private readonly words: string[] = [];

  constructor(private readonly buffer: FieldBuffer) {
    buffer.text = '';
  }

  /** A character of unquoted text: whitespace ends the current field. */
  addChar(ch: number): void {
    if (!isSpace(ch)) this.addRawChar(ch);
    else if (this.buffer.text.length !== 0) this.flush();
  }

  /** An escaped character: part of the field whatever it is. */
  addRawChar(ch: number): void {
    this.buffer.text += String.fromCodePoint(ch);
  }

  /** The value of an unquoted `$` expansion: split like plain text. */
  addString(text: string): void {
    for (const ch of text) this.addChar(ch.codePointAt(0) ?? 0);
  }

  /** A quoted string: part of the field whatever it holds. An empty one starts no field. */
  addRawString(text: string): void {
    this.buffer.text += text;
  }

  finish(): string[] {
    if (this.buffer.text.length > 0) this.flush();
    return this.words;
  }

  private flush(): void {
    this.words.push(this.buffer.text);
    this.buffer.text = '';
  }
}
