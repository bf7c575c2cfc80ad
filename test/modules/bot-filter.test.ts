import { describe, expect, it } from "vitest";
import { botVerdict } from "../../src/modules/bot-filter";

const CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

describe("botVerdict", () => {
  it.each([
    ["Googlebot", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", undefined, { bot: true, score: 1, reason: "user_agent" }],
    ["curl", "curl/8.5.0", undefined, { bot: true, score: 1, reason: "user_agent" }],
    ["headless Chrome", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.0.0 Safari/537.36", undefined, { bot: true, score: 1, reason: "user_agent" }],
    ["a listed agent keeps Cloudflare's score", "python-requests/2.31", { score: 12 }, { bot: true, score: 12, reason: "user_agent" }],
    ["Chrome, no signals", CHROME, undefined, { bot: false, score: null, reason: null }],
    ["Chrome, human score", CHROME, { score: 95 }, { bot: false, score: 95, reason: null }],
    ["Chrome, score at the threshold", CHROME, { score: 30 }, { bot: false, score: 30, reason: null }],
    ["Chrome, score under it", CHROME, { score: 29 }, { bot: true, score: 29, reason: "score" }],
    ["verified bot", CHROME, { score: 80, verifiedBot: true }, { bot: true, score: 80, reason: "verified_bot" }],
    ["verified category", CHROME, { verifiedBotCategory: "Monitoring & Analytics" }, { bot: true, score: 1, reason: "verified_bot" }],
    ["empty category is no signal", CHROME, { verifiedBotCategory: "" }, { bot: false, score: null, reason: null }],
    ["score 0 means not scored", CHROME, { score: 0 }, { bot: false, score: null, reason: null }],
    ["a non-integer score is ignored", CHROME, { score: "5" }, { bot: false, score: null, reason: null }],
    ["no user agent, no signals", null, undefined, { bot: false, score: null, reason: null }],
  ])("%s", (_name, ua, cf, expected) => {
    expect(botVerdict(ua, cf, 30)).toEqual(expected);
  });
});
