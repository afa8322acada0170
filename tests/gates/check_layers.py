#!/usr/bin/python3
"""Layering gate (STYLE.md 2.11 and Part 3, DESIGN.md section 3).

Scans the source tree (no build needed) and fails, naming file:line, when

  (a) an #include points against the dependency rule: a module includes a
      module it may not use, or another module's header other than its
      interface header <m>/<m>.h (plus the allow-list SIBLING_HEADERS below),
      or pediad/, examples/, bindings/ or include/ include anything but the
      public <pedia/...> headers;
  (b) a file uses a function defined in a module it may not use. Definitions
      are found textually: the house format (AlwaysBreakAfterReturnType:
      TopLevelDefinitions) puts every top-level definition's name at column
      0, so "^name(" in a .c file is a definition;
  (c) inside libpedia/apiserver/, a file of one family (a subfolder) includes
      or calls a family that is not below it in FAMILY_RANK;
  (d) a cycle of files (call or include edges) inside one apiserver family
      has more than MAX_FAMILY_CYCLE files. The largest cycle of every module
      and family is printed either way.

Usage: check_layers.py [ROOT]   (ROOT defaults to the repository root)
stdlib only; run with /usr/bin/python3.
"""
import os
import re
import sys

# ---------------------------------------------------------------------------
# The rules, as data. Edit these, not the code below.

# Module -> the modules it may use (DESIGN.md section 3, "may use").
MODULE_DEPS = {
    "util": [],
    "model": ["util"],
    "authz": ["util", "model"],
    "kube": ["util", "model"],
    "store": ["util", "model"],
    "sync": ["util", "model", "kube", "store"],
    "query": ["util", "model", "store"],
    "apiserver": ["util", "model", "authz", "store", "query", "sync"],
}

# Headers a module declares usable by other modules besides <m>/<m>.h:
# header -> the modules that may include it ("*" = every module that may use
# the owner). Everything else of another module, *_int.h above all, is private.
SIBLING_HEADERS = {
    # json-c helpers, for the modules allowed to use json-c (util_json.h).
    "util/util_json.h": ["*"],
    # the one YAML front end (docs/DECISIONS.md R14), for json-c users too.
    "util/util_yaml.h": ["*"],
    # the PediaCluster definition: its parser and schema walkers, used by
    # sync (the engine's manifests) and apiserver (the PediaCluster API).
    "model/model_pcl.h": ["sync", "apiserver"],
    # Kubernetes protobuf request bodies -> JSON, for pediad's write path.
    "model/model_kpb.h": ["apiserver"],
    # sync has no sync/sync.h: these two are what the API uses of it.
    # sync_member.h declares itself "for other modules"; sync_manifest.h is
    # the PediaCluster manifest contract that the PediaCluster API reads.
    "sync/sync_member.h": ["apiserver"],
    "sync/sync_manifest.h": ["apiserver"],
}

# Folders outside libpedia/ that may include only the public <pedia/...>
# headers (and their own files and system headers).
PUBLIC_ONLY_DIRS = ["pediad", "examples", "bindings", "include"]

# apiserver families: libpedia/apiserver/<family>/. A family may use itself
# and families of a strictly lower rank; families of the same rank are
# siblings and may not use each other. Files directly in libpedia/apiserver/
# are TOP_FAMILY (the pipeline/router) and may use every family. A subfolder
# not listed here is reported as an unknown family.
FAMILY_RANK = {
    "core": 0,
    "tables": 1,
    "search": 2,
    "pedia": 2,
    "openapi": 2,
    "access": 2,
}
TOP_FAMILY = "(top)"
APISERVER = "apiserver"

# (d): the largest allowed cycle of files inside one apiserver family
# (a subfolder; the top-level pipeline files are not a family).
MAX_FAMILY_CYCLE = 3

# ---------------------------------------------------------------------------

KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "do", "else",
            "case", "defined", "static", "typedef", "struct", "union",
            "enum", "goto"}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
DEF_RE = re.compile(r"^([A-Za-z_]\w*)\s*\(")
# Definitions made by a macro at column 0: ACCESSOR(pedia_object_kind, kind)
DEFGEN_RE = re.compile(r"^[A-Z][A-Z0-9_]*\(\s*((?:pdi|pedia)_\w+)\s*[,)]")
IDENT_RE = re.compile(r"[A-Za-z_]\w*")


def strip_code(text):
    """Blank out comments and string/char literals, keeping newlines."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "/" and i + 1 < n and text[i + 1] == "*":
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "/" and i + 1 < n and text[i + 1] == "/":
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + c)
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


class Tree:
    def __init__(self, root):
        self.root = root
        self.lib = os.path.join(root, "libpedia")
        self.files = []          # repo-relative paths of libpedia sources
        self.text = {}           # rel -> raw text
        self.code = {}           # rel -> comment/string-stripped lines
        self.defs = {}           # function name -> defining rel path
        for dirpath, dirs, names in os.walk(self.lib):
            dirs.sort()
            for name in sorted(names):
                if name.endswith((".c", ".h")):
                    full = os.path.join(dirpath, name)
                    rel = os.path.relpath(full, root)
                    self.files.append(rel)
                    self.load(rel)
        for rel in self.files:
            if rel.endswith(".c"):
                self.find_defs(rel)

    def load(self, rel):
        with open(os.path.join(self.root, rel), encoding="utf-8",
                  errors="replace") as f:
            self.text[rel] = f.read()
        self.code[rel] = strip_code(self.text[rel]).split("\n")

    def find_defs(self, rel):
        lines = self.code[rel]
        for i, line in enumerate(lines):
            m = DEFGEN_RE.match(line)
            if m and not is_static(lines, i):
                self.defs.setdefault(m.group(1), rel)
                continue
            m = DEF_RE.match(line)
            if not m or m.group(1) in KEYWORDS or m.group(1).isupper():
                continue
            if is_static(lines, i) or not is_definition(lines, i):
                continue
            self.defs.setdefault(m.group(1), rel)

    def module_of(self, rel):
        """Module name of a libpedia path, or None."""
        parts = rel.split("/")
        if len(parts) >= 3 and parts[0] == "libpedia":
            return parts[1]
        return None

    def family_of(self, rel):
        """apiserver family of a libpedia/apiserver path, or None."""
        parts = rel.split("/")
        if len(parts) < 3 or parts[:2] != ["libpedia", APISERVER]:
            return None
        return parts[2] if len(parts) > 3 else TOP_FAMILY

    def resolve(self, rel, inc):
        """The repo-relative path of a quoted include, or a guess."""
        here = os.path.dirname(rel)
        for base in (here, "libpedia"):
            cand = os.path.normpath(os.path.join(base, inc))
            if os.path.isfile(os.path.join(self.root, cand)):
                return cand
        return os.path.normpath(os.path.join("libpedia", inc))


def is_static(lines, i):
    """Whether the declaration whose name is on line i is static: look back
    over the return-type lines until the previous statement or blank line."""
    j = i - 1
    while j >= 0 and i - j <= 4:
        prev = lines[j].strip()
        if not prev or prev.endswith((";", "}", "{")) or prev.startswith("#"):
            break
        if re.search(r"\bstatic\b", prev):
            return True
        j -= 1
    return False


def is_definition(lines, i):
    """Whether the parameter list starting on line i is followed by a body
    rather than ';' (a prototype) or something else."""
    depth = 0
    for j in range(i, min(i + 40, len(lines))):
        for c in lines[j]:
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
            elif depth == 0 and c == ";":
                return False
            elif depth == 0 and c == "{":
                return True
    return False


def may_use_module(src, dst):
    return src == dst or dst in MODULE_DEPS.get(src, [])


def may_use_family(src, dst):
    if src == dst or src == TOP_FAMILY:
        return True
    if dst == TOP_FAMILY:
        return False
    return FAMILY_RANK[dst] < FAMILY_RANK[src]


def header_allowed(src_mod, target):
    """Whether a file of src_mod may include another module's header."""
    dst_mod = target.split("/")[1]
    name = "/".join(target.split("/")[1:])
    if name == "%s/%s.h" % (dst_mod, dst_mod):
        return True
    allowed = SIBLING_HEADERS.get(name)
    return allowed is not None and ("*" in allowed or src_mod in allowed)


class Gate:
    def __init__(self, tree):
        self.t = tree
        self.errors = []
        self.edges = {rel: set() for rel in tree.files}

    def fail(self, rel, line, msg):
        self.errors.append("%s:%d: %s" % (rel, line, msg))

    def check_family(self, rel, line, target, what):
        src, dst = self.t.family_of(rel), self.t.family_of(target)
        if src is None or dst is None:
            return
        for fam in (src, dst):
            if fam != TOP_FAMILY and fam not in FAMILY_RANK:
                self.fail(rel, line, "apiserver family '%s' is not in "
                          "FAMILY_RANK of %s" % (fam, sys.argv[0]))
                return
        if not may_use_family(src, dst):
            self.fail(rel, line, "apiserver family %s %s %s (family %s): "
                      "not below it" % (src, what, target, dst))

    def includes(self):
        for rel in self.t.files:
            src = self.t.module_of(rel)
            if src not in MODULE_DEPS:
                self.fail(rel, 1, "module '%s' is not in MODULE_DEPS" % src)
                continue
            for n, line in enumerate(self.t.text[rel].split("\n"), 1):
                m = INCLUDE_RE.match(line)
                if not m:
                    continue
                first = m.group(2).split("/")[0]
                if m.group(1) != '"' and first not in MODULE_DEPS:
                    continue  # a system or public <pedia/...> header
                target = self.t.resolve(rel, m.group(2))
                dst = self.t.module_of(target)
                if dst is None:
                    self.fail(rel, n, "includes %s, outside libpedia/"
                              % m.group(2))
                    continue
                if target in self.edges:
                    self.edges[rel].add(target)
                if dst == src:
                    self.check_family(rel, n, target, "includes")
                elif not may_use_module(src, dst):
                    self.fail(rel, n, "%s includes %s: %s may not use %s "
                              "(DESIGN.md section 3)" % (src, target, src, dst))
                elif not header_allowed(src, target):
                    self.fail(rel, n, "%s includes %s: only %s/%s.h (or a "
                              "header in SIBLING_HEADERS) is %s's interface"
                              % (src, target, dst, dst, dst))

    def calls(self):
        defs = self.t.defs
        for rel in self.t.files:
            src = self.t.module_of(rel)
            if src not in MODULE_DEPS:
                continue
            seen = set()
            for n, line in enumerate(self.t.code[rel], 1):
                if line.lstrip().startswith("#") and "include" in line:
                    continue
                for name in IDENT_RE.findall(line):
                    target = defs.get(name)
                    if target is None or target == rel:
                        continue
                    # Prototypes in headers are not uses: only .c files
                    # (and header include edges) make the file graph.
                    if rel.endswith(".c"):
                        self.edges[rel].add(target)
                    if (name, target) in seen:
                        continue
                    seen.add((name, target))
                    dst = self.t.module_of(target)
                    if dst == src:
                        self.check_family(rel, n, target, "uses %s() of" % name)
                    elif not may_use_module(src, dst):
                        self.fail(rel, n, "%s uses %s(), defined in %s: %s "
                                  "may not use %s (DESIGN.md section 3)"
                                  % (src, name, target, src, dst))

    def public_only(self):
        for top in PUBLIC_ONLY_DIRS:
            base = os.path.join(self.t.root, top)
            for dirpath, dirs, names in os.walk(base):
                dirs.sort()
                for name in sorted(names):
                    if not name.endswith((".c", ".h", ".cc", ".cpp")):
                        continue
                    full = os.path.join(dirpath, name)
                    self.check_public_only(os.path.relpath(full, self.t.root))

    def check_public_only(self, rel):
        with open(os.path.join(self.t.root, rel), encoding="utf-8",
                  errors="replace") as f:
            lines = f.read().split("\n")
        for n, line in enumerate(lines, 1):
            m = INCLUDE_RE.match(line)
            if not m:
                continue
            inc = m.group(2)
            first = os.path.normpath(inc).split("/")[0]
            if (first in MODULE_DEPS or "libpedia/" in inc
                    or inc.endswith("_int.h")):
                self.fail(rel, n, "includes %s: %s/ may include only the "
                          "public <pedia/...> headers" % (inc, rel.split("/")[0]))

    def cycles(self):
        groups = {}
        for rel in self.t.files:
            mod = self.t.module_of(rel)
            groups.setdefault(("module", mod), []).append(rel)
            fam = self.t.family_of(rel)
            if fam is not None and fam != TOP_FAMILY:
                groups.setdefault(("family", fam), []).append(rel)
        for (kind, name), members in sorted(groups.items()):
            scc = largest_scc(members, self.edges)
            label = "%s %s" % (kind, name)
            if len(scc) <= 1:
                print("cycles: %-20s none (%d files)" % (label, len(members)))
                continue
            print("cycles: %-20s largest cycle has %d of %d files: %s"
                  % (label, len(scc), len(members),
                     " ".join(os.path.basename(f) for f in scc)))
            if kind == "family" and len(scc) > MAX_FAMILY_CYCLE:
                self.fail(scc[0], 1, "apiserver family %s: a cycle of %d files "
                          "(more than %d): %s" % (name, len(scc),
                                                  MAX_FAMILY_CYCLE,
                                                  " ".join(scc)))


def largest_scc(members, edges):
    """Largest strongly connected set of members (Tarjan, iterative)."""
    inside = set(members)
    index, low, on, stack, best = {}, {}, set(), [], []
    counter = [0]
    for start in members:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start] & inside)))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            pushed = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w] & inside))))
                    pushed = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if pushed:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > len(best):
                    best = sorted(comp)
    return best


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..")
    root = os.path.abspath(root)
    if not os.path.isdir(os.path.join(root, "libpedia")):
        print("check_layers: no libpedia/ under %s" % root)
        return 2
    tree = Tree(root)
    gate = Gate(tree)
    gate.includes()
    gate.calls()
    gate.public_only()
    gate.cycles()
    fams = sorted({tree.family_of(f) for f in tree.files} - {None})
    print("checked %d files, %d functions; apiserver families: %s"
          % (len(tree.files), len(tree.defs), " ".join(fams)))
    if gate.errors:
        for e in gate.errors:
            print(e)
        print("check_layers: %d violation(s)" % len(gate.errors))
        return 1
    print("check_layers: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
