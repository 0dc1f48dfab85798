"""axe-core in the browser tests: every console page is checked against WCAG 2 A and AA.

axe-core comes from the npm registry, pinned in tests/e2e/axe/package-lock.json and installed
with `npm ci` (`make axe`, which `make test-e2e` runs). Its script is evaluated in the page through
the DevTools protocol (Playwright's `evaluate`), so the console's Content-Security-Policy stays as
it is in production.

To check a page: `assert_accessible(page, "名称")` once it shows what is to be checked, or, to see
every page's violations in one failure, `Audit.check(page, "名称")` for each and
`Audit.assert_clean()` at the end (tests/e2e/test_console_browser.py does that for A11Y_PAGES).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

AXE_DIR = Path(__file__).parent / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
#: The rule sets the console is held to (axe's tags): WCAG 2.0 level A and AA.
RULE_SETS = ("wcag2a", "wcag2aa")

# Besides the violations, axe leaves text whose colour equals its background (contrast 1:1) as
# "incomplete" (it might be hidden on purpose); on a staff page that is invisible text, so it
# counts as a color-contrast violation here (a white link-button on a white panel was one).
_RUN = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: { type: "tag", values: tags },
    resultTypes: ["violations", "incomplete"],
  });
  const nodes = (v) =>
    v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary || "" }));
  const out = result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, nodes: nodes(v),
  }));
  for (const v of result.incomplete) {
    if (v.id !== "color-contrast") continue;
    const invisible = v.nodes.filter((n) =>
      [...n.any, ...n.all].some((c) => c.data && c.data.messageKey === "equalRatio"));
    if (invisible.length) {
      out.push({ id: "color-contrast (1:1)", impact: v.impact, help: "Text must not be the " +
        "colour of its background", nodes: nodes({ nodes: invisible }) });
    }
  }
  return out;
}"""


def axe_source() -> str:
    if not AXE_JS.exists():
        pytest.fail(f"no {AXE_JS}: run `make axe` (npm ci in tests/e2e/axe)")
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The page's axe violations under RULE_SETS: id, impact, help and the offending nodes."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    violations: list[dict[str, Any]] = page.evaluate(_RUN, list(RULE_SETS))
    return violations


def describe(name: str, url: str, violations: list[dict[str, Any]]) -> str:
    """One readable block per page: each rule, its impact, and every element with the reason."""
    lines = [f"{name} ({url}): {sum(len(v['nodes']) for v in violations)} element(s)"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']}")
        for n in v["nodes"]:
            reason = " ".join(n["summary"].split())
            lines.append(f"    {n['target']} — {reason}")
    return "\n".join(lines)


def assert_accessible(page: Any, name: str) -> None:
    """Fails with the violating rules and selectors when axe finds anything on the page."""
    violations = axe_violations(page)
    assert not violations, "axe (wcag2a, wcag2aa):\n" + describe(name, page.url, violations)


@dataclass
class Audit:
    """Checks many pages and fails once, listing every page with violations."""

    checked: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def check(self, page: Any, name: str) -> int:
        """Runs axe on `page` as it is now; returns the number of violating elements."""
        page.wait_for_load_state("load")
        violations = axe_violations(page)
        count = sum(len(v["nodes"]) for v in violations)
        self.checked[name] = count
        if violations:
            self.failures.append(describe(name, page.url, violations))
        return count

    def summary(self) -> str:
        return "\n".join(f"  {n}: {c}" for n, c in self.checked.items())

    def assert_clean(self) -> None:
        assert self.checked, "no page was checked"
        assert not self.failures, (
            f"axe ({', '.join(RULE_SETS)}) found violations on {len(self.failures)} of "
            f"{len(self.checked)} pages:\n" + "\n".join(self.failures)
        )
