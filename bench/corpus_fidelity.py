"""How faithfully tix reads Zammad's test-mail corpus, and how fast.

    python bench/corpus_fidelity.py [--runs 5]

Parses every ``*.box`` of the corpus (``../shared/corpus/zammad``) with tix's
parser and compares each field its ``.yml`` checks (sender address and name, subject,
Message-ID, body text with whitespace squashed, recipients, attachment names and
contents) with Zammad's own expectation, using the comparison of the corpus test
(tests/core/mail/test_parse.py). Prints per field and in total "matches / checked",
the mails that differ and in which fields, and the time to parse the whole corpus
(best of --runs, wall and CPU time).

The comparison is with Zammad's .yml as it is: the cases where tix deliberately reads a
mail differently (the test's DEVIATIONS) count as differences here.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.core.mail.test_parse import CORPUS, compare_with_expectation, expected
from tix.core.mail.parse import ParsedMail, parse_mail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="parse runs to time (best is kept)")
    options = parser.parse_args()
    boxes = sorted(CORPUS.glob("*.box"))
    if not boxes:
        print(f"no .box files in {CORPUS}", file=sys.stderr)
        sys.exit(1)
    raws = {box.stem: box.read_bytes() for box in boxes}

    best = best_cpu = float("inf")
    mails: dict[str, ParsedMail] = {}
    for _run in range(max(1, options.runs)):
        started, started_cpu = time.perf_counter(), time.process_time()
        mails = {name: parse_mail(raw) for name, raw in raws.items()}
        best = min(best, time.perf_counter() - started)
        best_cpu = min(best_cpu, time.process_time() - started_cpu)

    checked: dict[str, int] = {}
    matched: dict[str, int] = {}
    differing: dict[str, list[str]] = {}
    for name, mail in mails.items():
        if not (CORPUS / f"{name}.yml").exists():
            continue
        for field_name, (tix, zammad) in compare_with_expectation(
            name, mail, expected(name)
        ).items():
            checked[field_name] = checked.get(field_name, 0) + 1
            if tix == zammad:
                matched[field_name] = matched.get(field_name, 0) + 1
            else:
                differing.setdefault(name, []).append(field_name)

    print(f"corpus: {CORPUS} ({len(raws)} mails)")
    print(
        f"parse time, whole corpus: {best * 1000:.1f} ms wall, {best_cpu * 1000:.1f} ms CPU"
        f" (best of {options.runs}; CPU time is steadier on a shared machine)"
    )
    print()
    width = max(len(field_name) for field_name in checked)
    for field_name in checked:
        print(f"{field_name:<{width}}  {matched.get(field_name, 0):>3} / {checked[field_name]}")
    total_matched = sum(matched.values())
    total_checked = sum(checked.values())
    print(f"{'total':<{width}}  {total_matched:>3} / {total_checked}")
    print(f"mails read exactly as Zammad: {len(mails) - len(differing)} / {len(mails)}")
    print()
    for name, fields in sorted(differing.items()):
        print(f"{name}: {', '.join(fields)}")


if __name__ == "__main__":
    main()
