#!/usr/bin/env python3
"""Check a Gongguan owners' vote result (Civil Code art. 278) on its own.

    python3 tools/verify_vote.py result.json [--key RECEIPT_KEY]

``result.json`` is the file of /c/<slug>/meetings/public/votes/<id>/result.json.
Python 3.11+ standard library only: nothing of the app is imported. The canonical form
and the counting rules are in docs/meetings.md ("Owners' votes").

It recomputes (1) the SHA-256 digest of the canonical form, (2) every total from the
unit lines (area in hundredths of a m², owners by their number, abstentions taking part,
"not_voted" not), and (3) the thresholds with integer arithmetic. With ``--key`` it
also shows the line of your unit (its receipt key is on your vote page).

Exit status: 0 and "VERIFIED" when everything recomputes; 1 and the differences otherwise;
2 when the file cannot be read as a result at all.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys

FORMAT = "gongguan-owners-vote/1"
SUPERMAJORITY = {6, 7, 8}
CHOICES = ("agree", "disagree", "abstain")


def canonical(data) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def digest_of(result: dict) -> str:
    return hashlib.sha256(canonical({k: v for k, v in result.items() if k != "digest"})).hexdigest()


def recount(result: dict) -> dict:
    lines = result["ballots"]
    total_area = sum(line["area_centi_m2"] for line in lines)
    owners = {line["owner"] for line in lines}
    by_owner: dict[int, set[str]] = {}
    area = dict.fromkeys(CHOICES, 0)
    for line in lines:
        choice = line["choice"]
        if choice == "not_voted":
            continue
        if choice not in CHOICES:
            raise ValueError(f"unknown choice {choice!r}")
        area[choice] += line["area_centi_m2"]
        by_owner.setdefault(line["owner"], set()).add(choice)
    heads = dict.fromkeys([*CHOICES, "split"], 0)
    for choices in by_owner.values():
        heads[next(iter(choices)) if len(choices) == 1 else "split"] += 1
    part_area, part_owners = sum(area.values()), len(by_owner)
    participation = total_area > 0 and part_area * 3 >= total_area * 2 and part_owners * 3 >= len(owners) * 2
    if part_area == 0 or part_owners == 0:
        majority = False
    elif result["matter"] in SUPERMAJORITY:
        majority = area["agree"] * 4 >= part_area * 3 and heads["agree"] * 4 >= part_owners * 3
    else:
        majority = area["agree"] * 2 > part_area and heads["agree"] * 2 > part_owners
    return {
        "rule": "three_quarters" if result["matter"] in SUPERMAJORITY else "more_than_half",
        "total": {"area_centi_m2": total_area, "owners": len(owners)},
        "participating": {"area_centi_m2": part_area, "owners": part_owners},
        **{c: {"area_centi_m2": area[c], "owners": heads[c]} for c in CHOICES},
        "split": {"area_centi_m2": 0, "owners": heads["split"]},
        "participation_met": participation,
        "majority_met": majority,
        "passed": participation and majority,
    }


def verify(result: dict) -> list[str]:
    problems = []
    if result.get("format") != FORMAT:
        problems.append(f"format is {result.get('format')!r}, expected {FORMAT!r}")
    if digest_of(result) != result.get("digest"):
        problems.append(f"digest: file says {result.get('digest')}, content hashes to {digest_of(result)}")
    for key, value in recount(result).items():
        if result.get(key) != value:
            problems.append(f"{key}: file says {result.get(key)!r}, recount gives {value!r}")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("result")
    parser.add_argument("--key", help="your unit's receipt key (shown on your vote page)")
    args = parser.parse_args(argv)
    try:
        with open(args.result, encoding="utf-8") as handle:
            result = json.load(handle)
        problems = verify(result)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cannot read {args.result}: {exc}", file=sys.stderr)
        return 2
    if args.key:
        mine = [line for line in result["ballots"] if line["key"] == args.key]
        print(f"your unit: {mine[0]}" if mine else f"no line with key {args.key}")
    if problems:
        print("NOT VERIFIED")
        for problem in problems:
            print(f"  {problem}")
        return 1
    print(f"VERIFIED: {'passed' if result['passed'] else 'not passed'}, digest {result['digest']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
