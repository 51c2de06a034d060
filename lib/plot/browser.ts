/**
 * Headless Chromium for figure export and notebook screenshots: Debian's `chromium` driven by
 * `playwright-core`. Nothing here downloads a browser: when no Chromium binary is installed,
 * {@linkcode chromiumPath} returns `null` and callers skip (`apt-get install -y chromium` installs one).
 *
 * `playwright-core` is imported dynamically, and only once a Chromium binary has been found, so
 * code that merely imports this module (notebooks, tests) never fetches it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { chromiumPath, withChromium } from "./browser.ts";
 * if (chromiumPath()) { // without Debian's chromium there is nothing to drive
 *   const title = await withChromium(async (browser) => {
 *     const page = await browser.newPage();
 *     await page.setContent("<title>hello</title>");
 *     return await page.evaluate<string>("document.title");
 *   });
 *   assertEquals(title, "hello");
 * }
 * ```
 * @module
 */

/** The npm specifier of the Chromium driver, fetched on first use (pinned; no browser download). */
export const PLAYWRIGHT_CORE = "npm:playwright-core@1.65.1";

/** Command-line flags for a quiet, offline-friendly headless Chromium. */
export const CHROMIUM_ARGS: readonly string[] = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The command that installs the browser this module drives (Debian). */
export const CHROMIUM_INSTALL = "apt-get install -y chromium";

/** The part of a playwright `Page` this project uses. */
export interface Page {
  goto(
    url: string,
    opts?: { waitUntil?: "load" | "domcontentloaded" | "networkidle"; timeout?: number },
  ): Promise<unknown>;
  setContent(
    html: string,
    opts?: { waitUntil?: "load" | "domcontentloaded"; timeout?: number },
  ): Promise<void>;
  waitForSelector(
    selector: string,
    opts?: { timeout?: number; state?: "attached" | "visible" },
  ): Promise<unknown>;
  waitForFunction<A>(
    fn: string | ((arg: A) => unknown),
    arg?: A,
    opts?: { timeout?: number },
  ): Promise<unknown>;
  evaluate<R, A = undefined>(fn: string | ((arg: A) => R | Promise<R>), arg?: A): Promise<R>;
  screenshot(opts: { path?: string; fullPage?: boolean; type?: "png" }): Promise<Uint8Array>;
  setViewportSize(size: { width: number; height: number }): Promise<void>;
  on(event: "console" | "pageerror", listener: (msg: { toString(): string }) => void): void;
  close(): Promise<void>;
}

/** The part of a playwright `BrowserContext` this project uses: pages sharing one fresh profile. */
export interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

interface PlaywrightCore {
  chromium: {
    launchPersistentContext(userDataDir: string, opts: {
      executablePath: string;
      headless: boolean;
      args: string[];
      viewport?: { width: number; height: number };
    }): Promise<Browser>;
  };
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/**
 * The Chromium binary to drive: `$CHROMIUM` when set (it must exist), else the first of
 * `/usr/bin/chromium`, `/usr/bin/chromium-browser` that exists; `null` when there is none.
 */
export function chromiumPath(): string | null {
  const fromEnv = Deno.env.get("CHROMIUM");
  if (fromEnv) {
    if (!isFile(fromEnv)) throw new Error(`chromiumPath: $CHROMIUM=${fromEnv} is not a file`);
    return fromEnv;
  }
  for (const p of ["/usr/bin/chromium", "/usr/bin/chromium-browser"]) if (isFile(p)) return p;
  return null;
}

/**
 * Start headless Chromium with {@linkcode CHROMIUM_ARGS} and a fresh profile in a temporary
 * `--user-data-dir` (removed again by the returned `close()`). Throws, naming the install command,
 * when no Chromium is installed.
 */
export async function launchChromium(
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<Browser> {
  const exe = chromiumPath();
  if (!exe) throw new Error(`launchChromium: no Chromium found (install it with: ${CHROMIUM_INSTALL})`);
  const spec = PLAYWRIGHT_CORE; // a variable keeps Deno from prefetching it for every importer
  const pw = await import(spec) as PlaywrightCore;
  const profile = await Deno.makeTempDir({ prefix: "seq2seq-chromium-" });
  try {
    const ctx = await pw.chromium.launchPersistentContext(profile, {
      executablePath: exe,
      headless: true,
      args: [...CHROMIUM_ARGS],
      viewport: opts.viewport ?? { width: 1200, height: 900 },
    });
    return {
      newPage: () => ctx.newPage(),
      close: async () => {
        try {
          await ctx.close();
        } finally {
          await Deno.remove(profile, { recursive: true }).catch(() => {});
        }
      },
    };
  } catch (err) {
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw err;
  }
}

/** Run `fn` with a freshly launched browser and close it afterwards, also when `fn` throws. */
export async function withChromium<T>(
  fn: (browser: Browser) => Promise<T>,
  opts: { viewport?: { width: number; height: number } } = {},
): Promise<T> {
  const browser = await launchChromium(opts);
  try {
    return await fn(browser);
  } finally {
    await browser.close();
  }
}
