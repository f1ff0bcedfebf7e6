#!/usr/bin/env python3
"""readme2man.py README.md VERSION > pgmig.1

The pgmig(1) man page is the README's client section ("## The `pgmig`
client" up to the next "## " heading), converted to man(7) roff.  The
README is the only hand-written copy: the man page is generated at build
time (src/client/Makefile) and installed by `make install`.

Only the Markdown the section uses is understood: "###" headings,
paragraphs with `code` and **bold**, indented code blocks, pipe tables,
and numbered or "-" lists.  Anything else is a build error, so a README
edit cannot silently produce a broken man page.
"""
import re
import sys

START = "## The `pgmig` client"


def esc(text):
    """Escape roff's special characters in running text."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return text


def inline(text):
    """`code` and **bold** to bold; everything else escaped."""
    out = []
    for part in re.split(r"(`[^`]*`|\*\*[^*]+\*\*)", text):
        if part.startswith("`") and part.endswith("`") and len(part) >= 2:
            out.append("\\fB" + esc(part[1:-1]) + "\\fR")
        elif part.startswith("**") and part.endswith("**"):
            out.append("\\fB" + esc(part[2:-2]) + "\\fR")
        else:
            out.append(esc(part))
    return "".join(out)


def line_out(text):
    """A roff text line: never starting with a control character."""
    if text.startswith((".", "'")):
        return "\\&" + text
    return text


def table_cells(row):
    return [c.strip() for c in row.strip().strip("|").split("|")]


def convert(lines, version):
    out = [
        '.TH PGMIG 1 "" "pgmig %s" "pgmig manual"' % version,
        ".SH NAME",
        "pgmig \\- run schema migrations kept inside PostgreSQL",
        ".SH DESCRIPTION",
    ]
    para = []

    def flush():
        if para:
            out.append(".PP")
            out.append(line_out(inline(" ".join(para))))
            para.clear()

    i = 0
    while i < len(lines):
        ln = lines[i].rstrip("\n")
        if ln.startswith("### "):
            flush()
            out.append(".SH " + esc(ln[4:].replace("`", "").upper()))
        elif ln.startswith("<!--") and ln.rstrip().endswith("-->"):
            pass                            # a directive for test/readme
        elif ln.startswith("```"):
            # a fenced block (an executed example or its output): as code
            flush()
            out += [".PP", ".RS 4", ".nf"]
            i += 1
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(line_out(esc(lines[i].rstrip("\n"))))
                i += 1
            out += [".fi", ".RE"]
        elif ln.startswith("#"):
            raise SystemExit("readme2man: unsupported Markdown at README line: %r" % ln)
        elif ln.startswith("    ") and not para:
            # an indented code block, up to the next non-indented line
            flush()
            out += [".PP", ".RS 4", ".nf"]
            while i < len(lines) and (lines[i].startswith("    ") or not lines[i].strip()):
                if not lines[i].strip() and not (i + 1 < len(lines) and lines[i + 1].startswith("    ")):
                    break
                out.append(line_out(esc(lines[i].rstrip("\n")[4:])))
                i += 1
            out += [".fi", ".RE"]
            continue
        elif ln.startswith("|"):
            flush()
            header = table_cells(ln)
            i += 2                          # the header and the |---| line
            while i < len(lines) and lines[i].startswith("|"):
                cells = table_cells(lines[i])
                out.append(".TP")
                out.append(line_out(inline(cells[0])))
                rest = ["%s: %s" % (h, c) if k > 0 else c
                        for k, (h, c) in enumerate(zip(header[1:], cells[1:]))
                        if c not in ("", "—")]
                out.append(line_out(inline("; ".join(rest))))
                i += 1
            continue
        elif re.match(r"^(\d+\.|-|\*) ", ln):
            flush()
            m = re.match(r"^(\d+\.|-|\*) (.*)", ln)
            mark = m.group(1) if m.group(1) not in ("-", "*") else "\\(bu"
            item = [m.group(2)]
            i += 1
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip():
                item.append(lines[i].strip())
                i += 1
            out.append(".IP %s 4" % mark)
            out.append(line_out(inline(" ".join(item))))
            continue
        elif not ln.strip():
            flush()
        else:
            para.append(ln.strip())
        i += 1
    flush()
    out += [".SH SEE ALSO", "psql(1), pg_dump(1)"]
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: readme2man.py README.md VERSION")
    with open(sys.argv[1], encoding="utf-8") as f:
        lines = f.readlines()
    try:
        start = next(k for k, l in enumerate(lines) if l.rstrip("\n") == START)
    except StopIteration:
        raise SystemExit("readme2man: no %r heading in %s" % (START, sys.argv[1]))
    end = next((k for k in range(start + 1, len(lines)) if lines[k].startswith("## ")),
               len(lines))
    sys.stdout.write(convert(lines[start + 1:end], sys.argv[2]))


if __name__ == "__main__":
    main()
