// What every Chromium suite shares: the launch (Debian's chromium, or CHROMIUM_PATH) with the
// flags this closed machine needs, a context that records what the page asked for and keeps it
// on the machine, a content blocker's rules, and a bounded wait.
import { chromium } from "playwright-core";

export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // Nothing may leave the machine: every name but loopback fails to resolve.
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE *.localhost, EXCLUDE 127.0.0.1",
];

export function launchChromium(extraArgs = []) {
  return chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** Google's tag hosts, as a content blocker's lists name them. */
export const GOOGLE_TAG_HOST = /(^|\.)(googletagmanager\.com|google-analytics\.com|googlesyndication\.com|doubleclick\.net)$/;

/** What a content blocker drops: Google's tag hosts, and the GTM and GA URL patterns anywhere. */
export function googleBlockerDrops(url) {
  return GOOGLE_TAG_HOST.test(url.hostname) || url.href.includes("/g/collect") || url.href.includes("gtm.js");
}

/**
 * A browser context that records its requests, responses and page errors. What `drops`
 * matches is aborted as a blocker would; requests to `localHosts` go through; the ad-bait URL
 * is answered as an open network would; anything else would leave the machine: aborted and
 * recorded in `leaks`.
 */
export async function observedContext(browser, { localHosts, drops = null, options = {} }) {
  const context = await browser.newContext(options);
  const requests = [];
  const responses = [];
  const leaks = [];
  const pageErrors = [];
  context.on("request", (request) => requests.push(request));
  context.on("response", (response) => responses.push(response));
  context.on("page", (page) => page.on("pageerror", (error) => pageErrors.push(error)));
  await context.route(
    () => true,
    (route) => {
      const url = new URL(route.request().url());
      if (drops?.(url)) return route.abort("blockedbyclient");
      if (localHosts.includes(url.hostname)) return route.continue();
      if (url.hostname === "pagead2.googlesyndication.com") return route.fulfill({ status: 200, body: "" });
      leaks.push(url.href);
      return route.abort("internetdisconnected");
    },
  );
  return { context, requests, responses, leaks, pageErrors };
}

/** Polls `probe` until it returns something truthy; fails naming `what` after `timeoutMs`. */
export async function waitFor(what, probe, timeoutMs = 15_000, everyMs = 100) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
