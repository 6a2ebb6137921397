#!/usr/bin/env python3
"""Lists the public items of a crate's rendered docs that have no runnable example.

Reads the HTML that `cargo doc -p CRATE` writes (re-exported items included, as rendered)
and reports every module, function, macro, struct, enum, trait, constant, type alias and
inherent method or associated item whose doc block holds no Rust code example. Trait
impls, enum variants and fields are not checked. Items documented by the standard library
(re-exports such as `std::net::IpAddr`) are skipped. An example rendered as `ignore`,
`compile_fail` or `should_panic` does not count; `no_run` is not visible in the HTML, so
`--src DIR...` also greps those source trees for ```` ```no_run ```` / ```` ```ignore ````
blocks and lists them.

    cargo doc -p gpm --no-deps
    python3 scripts/doc_examples.py target/doc/gpm [--exclude REGEX] [--src crates/gpm/src ...]

Exit status 1 if anything is missing.
"""

import argparse
import hashlib
import html
import os
import re
import sys

KINDS = {
    "fn": "function",
    "macro": "macro",
    "struct": "struct",
    "enum": "enum",
    "trait": "trait",
    "constant": "constant",
    "static": "static",
    "type": "type alias",
    "union": "union",
    "attr": "attribute macro",
    "derive": "derive macro",
}

EXAMPLE = re.compile(r'<div class="example-wrap(?P<cls>[^"]*)"><pre class="rust rust-example-rendered"')


def has_example(block):
    """True if the HTML fragment holds a Rust example that is compiled and run."""
    for m in EXAMPLE.finditer(block):
        cls = m.group("cls")
        if not any(bad in cls for bad in ("ignore", "compile_fail", "should_panic")):
            return True
    return False


def text_sig(block):
    """A hash of a doc block's text: the same docs rendered at two paths (a re-export)
    differ only in their relative link targets."""
    return hashlib.sha1(re.sub(r"<[^>]*>", "", block).encode()).hexdigest()


def top_doc(page):
    """The item's own doc block (empty if it has none)."""
    start = page.find('<details class="toggle top-doc"')
    if start < 0:
        return ""
    end = page.find("</details>", start)
    return page[start:end]


def inherent_items(page):
    """(name, doc block) for each inherent method / associated item of a type page."""
    start = page.find('<div id="implementations-list">')
    if start < 0:
        return []
    end = len(page)
    for marker in ('id="trait-implementations"', 'id="synthetic-implementations"',
                   'id="blanket-implementations"', 'id="deref-methods'):
        i = page.find(marker, start)
        if 0 <= i < end:
            end = i
    region = page[start:end]
    sections = list(re.finditer(r'<section id="(?P<id>(?:method|associatedconstant|associatedtype|tymethod)\.[^"]+)"', region))
    out = []
    for k, m in enumerate(sections):
        stop = sections[k + 1].start() if k + 1 < len(sections) else len(region)
        # The item's doc block ends at the next item or at the next impl block.
        nxt = region.find('<details class="toggle implementors-toggle"', m.end())
        if 0 <= nxt < stop:
            stop = nxt
        out.append((re.sub(r"-\d+$", "", m.group("id")), region[m.end():stop]))
    return out


def trait_items(page):
    """(name, doc block) for each required/provided method of a trait page."""
    out = []
    for header in ('id="required-methods"', 'id="provided-methods"'):
        start = page.find(header)
        if start < 0:
            continue
        end = page.find('<h2 id=', start + len(header))
        region = page[start:end if end >= 0 else len(page)]
        sections = list(re.finditer(r'<section id="(?P<id>(?:tymethod|method)\.[^"]+)"', region))
        for k, m in enumerate(sections):
            stop = sections[k + 1].start() if k + 1 < len(sections) else len(region)
            out.append((m.group("id"), region[m.end():stop]))
    return out


def foreign(page):
    """True for an item whose docs and source are the standard library's."""
    heading = page[page.find('<div class="main-heading">'):page.find("</div>", page.find('<span class="sub-heading">'))]
    return 'class="src" href="https://doc.rust-lang.org' in heading


def path_of(root, crate, file):
    rel = os.path.relpath(file, root)
    parts = rel.split(os.sep)
    base = parts[-1][:-len(".html")]
    mods = [crate] + parts[:-1]
    if base == "index":
        return "module", "::".join(mods)
    kind, _, name = base.partition(".")
    return KINDS.get(kind, kind), "::".join(mods + [name.rstrip("!")])


def scan(root, exclude):
    crate = os.path.basename(os.path.normpath(root))
    items = {}  # key -> (kind, path, has_example); key dedups re-exports of one item
    for dirpath, _, files in os.walk(root):
        for f in sorted(files):
            if not f.endswith(".html") or f == "all.html":
                continue
            base = f.split(".")[0]
            if f != "index.html" and base not in KINDS:
                continue
            file = os.path.join(dirpath, f)
            with open(file, encoding="utf-8") as fh:
                page = fh.read()
            if 'http-equiv="refresh"' in page[:500] or foreign(page):
                continue
            kind, path = path_of(root, crate, file)
            if exclude and exclude.search(path):
                continue
            doc = top_doc(page)
            sig = text_sig(doc)
            name = path.rsplit("::", 1)[-1]
            key = (kind, name, sig)
            items.setdefault(key, (kind, path, has_example(doc)))
            subs = trait_items(page) if kind == "trait" else inherent_items(page)
            for sub, block in subs:
                sub_name = sub.split(".", 1)[1]
                sub_path = f"{path}::{sub_name}"
                if exclude and exclude.search(sub_path):
                    continue
                skey = (kind, name, sig, sub_name, text_sig(block))
                items.setdefault(skey, ("method", sub_path, has_example(block)))
    return sorted(items.values(), key=lambda t: t[1])


def not_run(srcs):
    out = []
    fence = re.compile(r"^\s*(?://[/!]|\*)?\s*```\s*(\w[\w,]*)")
    for src in srcs:
        for dirpath, _, files in os.walk(src):
            for f in sorted(files):
                if not f.endswith(".rs"):
                    continue
                file = os.path.join(dirpath, f)
                with open(file, encoding="utf-8") as fh:
                    for n, line in enumerate(fh, 1):
                        m = fence.match(line)
                        if m and any(a in ("no_run", "ignore") for a in m.group(1).split(",")):
                            out.append(f"{file}:{n}: {line.strip()}")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("doc_dir", help="e.g. target/doc/gpm")
    ap.add_argument("--exclude", help="regex of item paths to leave out")
    ap.add_argument("--src", nargs="*", default=[], help="source trees to grep for no_run/ignore")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the covered items too")
    args = ap.parse_args()
    exclude = re.compile(args.exclude) if args.exclude else None
    items = scan(args.doc_dir, exclude)
    missing = [(k, p) for k, p, ok in items if not ok]
    if args.verbose:
        for k, p, ok in items:
            print(f"{'ok  ' if ok else 'MISS'} {k:15} {p}")
    else:
        for k, p in missing:
            print(f"missing example: {k:15} {html.unescape(p)}")
    nr = not_run(args.src)
    for line in nr:
        print(f"not run: {line}")
    print(f"{len(items) - len(missing)}/{len(items)} items have an example; {len(missing)} missing; "
          f"{len(nr)} no_run/ignore blocks in the given sources")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
