"""Browser evidence for the UI scenarios: Debian's Chromium driven by Playwright.

Small modules, each named for what it holds:

- ``launch``       find and start /usr/bin/chromium (a clear error when it is missing)
- ``spec``         the suite's ``ui:`` block (pages, login method, journeys' page details), resolved
                   against a running deployment
- ``capture``      what a browser context sent and received: requests, hosts, document headers, cookies
- ``axe``          axe-core (from node_modules/, pinned in package.json) injected into a page
- ``observatory``  the Mozilla HTTP Observatory scoring rules for a document's security headers
- ``rules``        a requirement's ``evidence_rule`` applied to the collected evidence
- ``journey``      steps with screenshots, page audits, failure evidence and the evidence JSON
- ``actions``      logging in and out (HTTP Basic or a form) and the small action language of ``ui:``
- ``clock``        how much wall time went into the browser (for bench/bench_ui.py)
"""
