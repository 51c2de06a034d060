/**
 * Base64 for binary data embedded in source files (the SIMD kernels' wasm binary).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeBase64, encodeBase64 } from "./base64.ts";
 * assertEquals(encodeBase64(new Uint8Array([0, 97, 115, 109])), "AGFzbQ==");
 * assertEquals(decodeBase64("AGFzbQ=="), new Uint8Array([0, 97, 115, 109]));
 * ```
 * @module
 */

/** Standard base64 (with padding) of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** The bytes of standard base64 text. */
export function decodeBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
