# pfprof heat map (bpf/heat.c); to redraw, in this directory: gnuplot <this file>
set terminal pngcairo noenhanced size 1200,800 font ',9'
set output 'busy3.png'
set title 'page faults: address x time, every process (linear colour)' . "\n" . '516402 faults in 9926 mappings; the busiest 24 in bands of their own, 9902 (54657 faults, 10.6%) folded into other; 21 faults in no known mapping, in other'
set xlabel 'seconds from the first fault'
set ylabel 'mappings with faults, by address'
set cblabel 'faults per cell'
unset key
set tics out
set ytics nomirror scale 0
set xtics nomirror
set palette defined (0 '#440154', 0.25 '#3b528b', 0.5 '#21918c', 0.75 '#5ec962', 1 '#fde725')
set cbrange [0:1478]
set xrange [0:6.01044358]
set yrange [-0.5:199.5]
set ytics ('[heap] (pftrace 23190) b31a..+11M' 2.0, '[anon] (xz 23191) 7f8a..+64M' 18.0, '[anon] (xz 23191) 7f8a..+29M' 37.0, '[anon] (xz 23191) 7f8a..+48M' 53.0, '[anon] (fast 23194) 7fdc..+4M' 65.5, '[anon] (fast 23193) 7f7d..+4M' 70.5, '[anon] (python3 23211) 7fa5..+12M' 76.0, '[heap] (pftrace 23289) 1c78..+11M' 82.0, '[anon] (pftrace 23289) 7fa0..+11M' 87.5, '[heap] (pftrace 23300) 326e..+11M' 93.0, '[anon] (pftrace 23300) 7fcd..+11M' 98.5, '[heap] (pftrace 23334) 2199..+11M' 103.5, '[anon] (pftrace 23334) 7f9b..+11M' 108.5, '[heap] (pftrace 23360) ac73..+11M' 113.5, '[anon] (pftrace 23360) 7ff3..+11M' 118.5, '[heap] (pftrace 23389) 27a8..+11M' 123.5, '[anon] (pftrace 23389) 7f93..+11M' 128.5, '[heap] (pftrace 23413) 3d44..+11M' 133.5, '[anon] (pftrace 23413) 7f59..+11M' 138.5, '[heap] (pftrace 23414) 4935..+11M' 144.0, '[anon] (pftrace 23414) 7f7a..+11M' 149.5, '[heap] (pftrace 23419) 341e..+11M' 154.5, '[anon] (pftrace 23419) 7f25..+11M' 159.5, '[anon] (xz 23420) 7feb..+29M' 168.0, 'other (9902 mappings) 4000..+128T' 187.0)
set object 1 rectangle from graph 0, first 4.5 to graph 1, first 5.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 2 rectangle from graph 0, first 30.5 to graph 1, first 31.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 3 rectangle from graph 0, first 42.5 to graph 1, first 43.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 4 rectangle from graph 0, first 62.5 to graph 1, first 63.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 5 rectangle from graph 0, first 67.5 to graph 1, first 68.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 6 rectangle from graph 0, first 72.5 to graph 1, first 73.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 7 rectangle from graph 0, first 78.5 to graph 1, first 79.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 8 rectangle from graph 0, first 84.5 to graph 1, first 85.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 9 rectangle from graph 0, first 89.5 to graph 1, first 90.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 10 rectangle from graph 0, first 95.5 to graph 1, first 96.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 11 rectangle from graph 0, first 100.5 to graph 1, first 101.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 12 rectangle from graph 0, first 105.5 to graph 1, first 106.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 13 rectangle from graph 0, first 110.5 to graph 1, first 111.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 14 rectangle from graph 0, first 115.5 to graph 1, first 116.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 15 rectangle from graph 0, first 120.5 to graph 1, first 121.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 16 rectangle from graph 0, first 125.5 to graph 1, first 126.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 17 rectangle from graph 0, first 130.5 to graph 1, first 131.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 18 rectangle from graph 0, first 135.5 to graph 1, first 136.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 19 rectangle from graph 0, first 140.5 to graph 1, first 141.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 20 rectangle from graph 0, first 146.5 to graph 1, first 147.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 21 rectangle from graph 0, first 151.5 to graph 1, first 152.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 22 rectangle from graph 0, first 156.5 to graph 1, first 157.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 23 rectangle from graph 0, first 161.5 to graph 1, first 162.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
set object 24 rectangle from graph 0, first 173.5 to graph 1, first 174.5 fillcolor rgb '#d8d8d8' fillstyle solid noborder behind
plot 'busy3.dat' matrix using (($1 + 0.5) * 0.030052217879999999):2:($3 > 0 ? $3 : NaN) with image
