/**
 * The folded form of a user name: the key under which names are unique, so "Alice" and "alice"
 * are one account. NFC first (one spelling per character), then a full case fold via upper then
 * lower case (so "ß" and "SS" fold alike, which lower-casing alone would miss).
 */
export function foldUserName(name: string): string {
  return name.normalize('NFC').toUpperCase().toLowerCase();
}
