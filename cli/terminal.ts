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
