"""Writes and rules of cooperation: pages, the API, the admin and tasks call these functions.

- ``interest``: expressions of interest between two cities, accepting and declining them;
- ``pipeline``: proposing a partnership and moving it along its pipeline;
- ``details``: a partnership's areas, reasons, programme, organizations and reviews;
- ``ledger``: what each side gives and gains, and the balance;
- ``history``: the dated record of every change;
- ``projects``: projects inside a partnership, milestones, figures, drafts for the catalogue;
- ``expansion``: next policy areas for an active partnership;
- ``programmes``: networks of many cities, eligibility and suggested member pairs;
- ``support``: help for cities without an international department;
- ``scoring``: what partnerships add to the scoring inputs (registered with ``matching``).
"""
