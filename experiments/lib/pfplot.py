"""pfplot.py - the one Python gnuplot driver of the experiments
(case studies, compare report).  Python 3 stdlib only; gnuplot on PATH.

    import pfplot
    pfplot.gnuplot(pfplot.term(1000, 620) + "set output 'x.png'\\nplot x\\n")

gnuplot(script, check=True)  run gnuplot on SCRIPT (stdin).  check=True:
                             raise CalledProcessError if it fails (its
                             messages on stderr); check=False: print its
                             messages, prefixed with the calling program's
                             name, and return False
have_pngcairo()              whether gnuplot has the pngcairo terminal
                             (asked once)
term(w, h, enhanced=True)    the terminal line(s): pngcairo W x H with a
                             10 pt font, or the plain png terminal where
                             pngcairo is missing; enhanced=False turns
                             gnuplot's enhanced text off (names with _)
"""
import os
import subprocess
import sys

_pngcairo = None


def gnuplot(script, check=True):
    if check:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
        return True
    r = subprocess.run(["gnuplot"], input=script, text=True, capture_output=True)
    if r.returncode:
        print("%s: gnuplot failed:\n%s" % (os.path.basename(sys.argv[0]), r.stderr),
              file=sys.stderr)
    return r.returncode == 0


def have_pngcairo():
    global _pngcairo
    if _pngcairo is None:
        _pngcairo = subprocess.run(["gnuplot", "-e", "set terminal pngcairo"],
                                   capture_output=True).returncode == 0
    return _pngcairo


def term(w, h, enhanced=True):
    if not have_pngcairo():
        return f"set terminal png size {w},{h}\n" + ("" if enhanced else "set termoption noenhanced\n")
    return f"set terminal pngcairo size {w},{h} font ',10'" + ("" if enhanced else " noenhanced") + "\n"
