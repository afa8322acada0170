#!/usr/bin/env python3
"""Every public function has complete Doxygen docs (STYLE.md 2.8, 2.14).

For each declaration starting with PEDIA_API in include/pedia/**/*.h, the
/** */ block right before it must have:
  - @brief;
  - @param for every parameter (`@param a,b,c` covers several; an output
    parameter named `out` or `*_out` must be marked [out] or [in,out]);
  - @return when the function returns pedia_err;
  - @threadsafety naming `any`, `handle` or `not from callbacks`;
  - @since.
Every callback typedef (`typedef ... (*pedia_..._cb|_fn)(...)`) must have a
doc block that names the thread it is called on (the word "thread").

Usage: check_header_docs.py INCLUDE_DIR [-v]
Exit status 0 when every function passes, 1 otherwise.
"""
import os
import re
import sys

THREAD_WORDS = ("any", "handle", "not from callbacks")


def strip_line_comments(text):
    """Blank out // comments and non-doc /* */ comments, keeping offsets."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i) and not text.startswith("/**", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def doc_before(text, pos):
    """The /** */ block that ends right before pos (only blanks between)."""
    before = text[:pos].rstrip()
    if not before.endswith("*/"):
        return None
    start = before.rfind("/**")
    if start < 0 or before.rfind("*/", 0, len(before) - 2) > start:
        return None
    return before[start:]


def split_params(plist):
    parts, depth, cur = [], 0, []
    for ch in plist:
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    names = []
    for p in (x.strip() for x in parts):
        if not p or p == "void" or p == "...":
            continue
        m = re.search(r"\(\s*\*\s*(\w+)\s*\)", p)  # function pointer
        if m:
            names.append(m.group(1))
            continue
        m = re.search(r"(\w+)\s*(\[[^\]]*\])?$", p)
        if not m:
            raise ValueError("cannot parse parameter %r" % p)
        names.append(m.group(1))
    return names


def documented_params(doc):
    """{name: direction} from @param lines; direction '' / 'out' / ..."""
    got = {}
    for m in re.finditer(r"@param(?:\[([a-z, ]+)\])?\s+([\w, ]+?)(?=\s)",
                         doc):
        direction = (m.group(1) or "").replace(" ", "")
        for name in m.group(2).split(","):
            if name.strip():
                got[name.strip()] = direction
    return got


def tag_text(doc, tag):
    m = re.search(r"@" + tag + r"\b(.*?)(?=\n\s*\*\s*@|\*/)", doc, re.S)
    if not m:
        return None
    return re.sub(r"\s*\n\s*\*\s*", " ", m.group(1)).strip()


def check_function(decl, doc):
    problems = []
    m = re.match(r"PEDIA_API\s+(.*?)\b(\w+)\s*\((.*)\)\s*;$", decl, re.S)
    if not m:
        return None, ["cannot parse declaration: " + decl[:60]]
    ret, name, plist = m.group(1).strip(), m.group(2), m.group(3)
    if doc is None:
        return name, ["no /** */ block"]
    if "@brief" not in doc:
        problems.append("no @brief")
    documented = documented_params(doc)
    for p in split_params(plist):
        if p not in documented:
            problems.append("no @param " + p)
        elif (p == "out" or p.endswith("_out")) and \
                "out" not in documented[p].split(","):
            problems.append("@param " + p + " not marked [out]")
    for d in documented:
        if d not in split_params(plist):
            problems.append("@param " + d + " names no parameter")
    if ret.startswith("pedia_err") and "@return" not in doc:
        problems.append("no @return")
    ts = tag_text(doc, "threadsafety")
    if ts is None:
        problems.append("no @threadsafety")
    elif not ts.startswith(THREAD_WORDS):
        problems.append("@threadsafety does not start with any / handle / "
                        "not from callbacks: " + ts[:40])
    if "@since" not in doc:
        problems.append("no @since")
    return name, problems


def check_file(path, verbose):
    raw = open(path, encoding="utf-8").read()
    text = strip_line_comments(raw)
    total, failed, cb_failed = 0, 0, 0
    rel = os.path.relpath(path)
    for m in re.finditer(r"^PEDIA_API\b[^;]*;", text, re.M):
        total += 1
        name, problems = check_function(m.group(0), doc_before(text, m.start()))
        if problems:
            failed += 1
            for p in problems:
                print("%s: %s: %s" % (rel, name, p))
        elif verbose:
            print("%s: %s: ok" % (rel, name))
    for m in re.finditer(r"^typedef[^;]*\(\s*\*\s*(\w+_(?:cb|fn))\s*\)[^;]*;",
                         text, re.M):
        doc = doc_before(text, m.start())
        if doc is None or "thread" not in doc:
            print("%s: %s: callback doc does not name its thread" %
                  (rel, m.group(1)))
            cb_failed += 1
    return total, failed, cb_failed


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().splitlines()[-2])
        return 2
    verbose = "-v" in argv[2:]
    total = failed = cb_failed = 0
    for root, _, files in os.walk(argv[1]):
        for f in sorted(files):
            if f.endswith(".h"):
                t, fl, cb = check_file(os.path.join(root, f), verbose)
                total += t
                failed += fl
                cb_failed += cb
    if total == 0:
        print("no PEDIA_API declarations found under " + argv[1])
        return 1
    print("%d/%d public functions documented; %d callback types without "
          "their thread" % (total - failed, total, cb_failed))
    return 0 if failed == 0 and cb_failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
