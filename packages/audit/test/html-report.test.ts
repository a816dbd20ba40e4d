import { mkdtempSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { chromium } from "playwright-core"
import { expect, it } from "vitest"
import { REPO_ROOT, describeWithTool } from "@sops-ts/testkit"
import { renderHtml, runAudit } from "../src/index.js"
import { buildFixture, gitIn } from "./fixture.js"

const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]

describeWithTool("chromium", "HTML report in headless Chromium", () => {
  it("renders summary, key matrix, age chart and findings with fixes; saves a screenshot", async () => {
    const fx = await buildFixture()
    gitIn(fx.root, "init", "-q")
    const report = await runAudit({ root: fx.root, now: fx.now })
    const html = renderHtml(report)
    // Self-contained: no scripts and no external resources.
    expect(html).not.toMatch(/<script|<link |src="http|url\(/i)
    const file = join(mkdtempSync(join(tmpdir(), "sops-audit-html-")), "report.html")
    writeFileSync(file, html)

    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_FLAGS })
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1450 } })
      const requests: string[] = []
      page.on("request", (r) => {
        if (!r.url().startsWith("file:")) requests.push(r.url())
      })
      await page.goto(pathToFileURL(file).href)
      expect(await page.title()).toBe("sops audit report")
      expect(await page.locator("#summary .card").first().textContent()).toContain(String(report.summary.files))
      // Files-by-keys matrix: one row per encrypted file, one column per distinct key.
      const rows = page.locator("#matrix tbody tr")
      expect(await rows.count()).toBe(report.summary.encrypted)
      const dbRow = rows.filter({ hasText: "clusters/prod/secrets/db.yaml" })
      expect(await dbRow.locator("td.yes").count()).toBe(1)
      // Age chart: one bar per dated file, the stale ones drawn past the policy line.
      expect(await page.locator("#ages svg rect").count()).toBe(report.files.filter((f) => f.encrypted?.dataKeyAgeDays != null).length)
      expect(await page.locator("#ages svg").textContent()).toContain("max 90 d")
      // Findings with their fix commands.
      expect(await page.locator("#findings .finding").count()).toBe(report.findings.length)
      const drift = page.locator('#findings .finding[data-kind="key-drift"]').first()
      expect(await drift.locator("pre.fix").textContent()).toMatch(/^sops updatekeys --yes /)
      expect(await page.locator('#findings .finding[data-severity="critical"]').count()).toBe(report.summary.findings.critical)
      expect(requests).toEqual([])
      // Written next to the test run's temp files; SOPS_TS_UPDATE_DOCS=1 refreshes the one in docs/.
      const shot = process.env["SOPS_TS_UPDATE_DOCS"] === "1" ? join(REPO_ROOT, "docs/audit-report.png") : join(tmpdir(), "sops-ts-audit-report.png")
      await page.screenshot({ path: shot, fullPage: false })
      expect(statSync(shot).size).toBeGreaterThan(10_000)
    } finally {
      await browser.close()
    }
  })
})
