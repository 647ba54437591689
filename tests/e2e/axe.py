"""axe-core in the browser tests: inject it into the page, run it, fail on serious or critical violations.

axe-core comes from the npm registry (``package.json``; ``make test`` runs ``npm ci``) and is
injected by the test, never served by the portal. The browser contexts of ``conftest.py`` bypass
the page's Content-Security-Policy, so injecting a script keeps working under a strict policy.
"""

from pathlib import Path

from tests.e2e.conftest import screenshot

AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

#: The rule sets the portal promises: WCAG 2.0 and 2.1, levels A and AA, and axe's best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]

#: Violations at these impacts fail a test; minor and moderate ones are reported by axe but tolerated.
FAILING_IMPACTS = {"serious", "critical"}

_RUN = """async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return results.violations.map((violation) => ({
    id: violation.id,
    impact: violation.impact,
    help: violation.help,
    targets: violation.nodes.map((node) => node.target.join(" ")),
  }));
}"""


def axe_violations(page) -> list[dict]:
    """Every violation axe finds in the page as it is now: id, impact, help and the target selectors."""
    if not AXE_SOURCE.exists():
        raise AssertionError(f"axe-core is missing at {AXE_SOURCE}: run `npm ci` (make test does).")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE_SOURCE.read_text(encoding="utf-8"))
    return page.evaluate(_RUN, TAGS)


def format_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    {target}" for target in violation["targets"][:10])
        if len(violation["targets"]) > 10:
            lines.append(f"    … and {len(violation['targets']) - 10} more")
    return "\n".join(lines)


def assert_accessible(page, name: str) -> None:
    """Run axe on ``page`` and save a screenshot as ``var/screenshots/<name>.png``.

    Fails listing every serious or critical violation: its rule, what it asks, and the elements at fault.
    """
    violations = axe_violations(page)
    screenshot(page, name)
    failing = [violation for violation in violations if violation["impact"] in FAILING_IMPACTS]
    assert not failing, f"axe found serious or critical violations on {name} ({page.url}):\n" + format_violations(
        failing
    )
