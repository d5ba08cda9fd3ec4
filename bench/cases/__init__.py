"""The cases, in the order `make bench` runs them (docs/performance.md)."""

from . import checklists, imports, pages, scheduler, seal, throughput

CASES = {
    "checklists": checklists.run,
    "import": imports.run,
    "pages": pages.run,
    "throughput": throughput.run,
    "scheduler": scheduler.run,
    "seal": seal.run,
}
