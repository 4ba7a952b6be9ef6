/**
 * Text for a terminal. Build logs, reasons and tags come from build instances and recipes, not
 * from the command: a control character in them (an ESC sequence, BEL, a bare CR) could rewrite
 * what the reader sees. Each is shown as `\xNN` instead; line ends (LF, CR LF) and tabs stay.
 */
export function printable(text: string): string {
  let shown = '';
  for (let i = 0; i < text.length; i++) {
    const character = text[i] as string;
    const code = character.charCodeAt(0);
    const lineEnd = character === '\n' || character === '\t' || (character === '\r' && text[i + 1] === '\n');
    const control = code < 0x20 || (code >= 0x7f && code <= 0x9f);
    shown += control && !lineEnd ? `\\x${code.toString(16).padStart(2, '0')}` : character;
  }
  return shown;
}

/**
 * printable() over a stream of bytes: decodes UTF-8 across chunk boundaries and holds back a CR
 * that ends a chunk until the next one tells whether a LF follows.
 */
export class PrintableStream {
  private readonly decoder = new TextDecoder('utf-8');
  private held = '';
  /** The last character written, so that callers can end the output with a line end. */
  last = '';

  constructor(private readonly write: (text: string) => void) {}

  push(bytes: Uint8Array): void {
    this.emit(this.held + this.decoder.decode(bytes, { stream: true }), true);
  }

  end(): void {
    this.emit(this.held + this.decoder.decode(), false);
  }

  private emit(text: string, more: boolean): void {
    this.held = more && text.endsWith('\r') ? '\r' : '';
    const ready = this.held ? text.slice(0, -1) : text;
    if (ready === '') return;
    this.write(printable(ready));
    this.last = ready.at(-1) ?? this.last;
  }
}
