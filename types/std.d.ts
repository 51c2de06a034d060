declare module "@std/assert" {
  /** Error thrown by the assertions. */
  export class AssertionError extends Error {
    constructor(message: string);
  }
  export function assert(expr: unknown, msg?: string): asserts expr;
  export function assertFalse(expr: unknown, msg?: string): void;
  export function assertEquals<T>(actual: T, expected: T, msg?: string): void;
  export function assertNotEquals<T>(actual: T, expected: T, msg?: string): void;
  export function assertStrictEquals<T>(actual: unknown, expected: T, msg?: string): asserts actual is T;
  export function assertAlmostEquals(
    actual: number,
    expected: number,
    tolerance?: number,
    msg?: string,
  ): void;
  export function assertGreater<T>(actual: T, expected: T, msg?: string): void;
  export function assertGreaterOrEqual<T>(actual: T, expected: T, msg?: string): void;
  export function assertLess<T>(actual: T, expected: T, msg?: string): void;
  export function assertLessOrEqual<T>(actual: T, expected: T, msg?: string): void;
  export function assertExists<T>(actual: T, msg?: string): asserts actual is NonNullable<T>;
  export function assertMatch(actual: string, expected: RegExp, msg?: string): void;
  export function assertStringIncludes(actual: string, expected: string, msg?: string): void;
  export function assertArrayIncludes<T>(actual: ArrayLike<T>, expected: ArrayLike<T>, msg?: string): void;
  export function assertThrows(fn: () => unknown, msg?: string): unknown;
  export function assertThrows<E extends Error = Error>(
    fn: () => unknown,
    // deno-lint-ignore no-explicit-any
    ErrorClass: new (...args: any[]) => E,
    msgIncludes?: string,
    msg?: string,
  ): E;
  export function assertRejects(fn: () => PromiseLike<unknown>, msg?: string): Promise<unknown>;
  export function assertRejects<E extends Error = Error>(
    fn: () => PromiseLike<unknown>,
    // deno-lint-ignore no-explicit-any
    ErrorClass: new (...args: any[]) => E,
    msgIncludes?: string,
    msg?: string,
  ): Promise<E>;
  export function fail(msg?: string): never;
}
declare module "@std/csv" {
  /** Options of {@linkcode parse}. */
  export interface ParseOptions {
    separator?: string;
    comment?: string;
    trimLeadingSpace?: boolean;
    lazyQuotes?: boolean;
    fieldsPerRecord?: number;
    skipFirstRow?: boolean;
    columns?: readonly string[];
  }
  /** Error thrown on malformed CSV; `startLine`/`line` are 1-based. */
  export class ParseError extends SyntaxError {
    startLine: number;
    line: number;
    column: number | null;
  }
  export function parse(input: string): string[][];
  export function parse(
    input: string,
    options: ParseOptions & { skipFirstRow: true },
  ): Record<string, string>[];
  export function parse(input: string, options: ParseOptions): string[][];

  /** Options of {@linkcode stringify}. */
  export interface StringifyOptions {
    headers?: boolean;
    separator?: string;
    columns?: readonly (string | { prop: string | string[]; header?: string })[];
    bom?: boolean;
  }
  export function stringify(
    data: readonly (readonly unknown[] | Record<string, unknown>)[],
    options?: StringifyOptions,
  ): string;

  /** Streaming parser options. */
  export interface CsvParseStreamOptions extends ParseOptions {}
}
