#!/bin/sh
# Draw a `cnn train --log` CSV as a PNG: loss and accuracy per epoch, for
# training and test, with gnuplot (apt-get install gnuplot-nox).
#   tools/plot-log.sh LOG.csv OUT.png
set -eu
[ $# -eq 2 ] || { echo "usage: $0 LOG.csv OUT.png" >&2; exit 2; }
command -v gnuplot >/dev/null ||
    { echo "plot-log: needs gnuplot (apt-get install gnuplot-nox)" >&2; exit 1; }
head -n 1 "$1" | grep -q '^epoch,train_loss,train_accuracy,test_loss,test_accuracy' ||
    { echo "plot-log: $1: not a cnn train --log file" >&2; exit 1; }
gnuplot <<GP
set terminal pngcairo size 1000,420 noenhanced
set output "$2"
set datafile separator ","
set key autotitle columnhead
set multiplot layout 1,2 title "$1"
set xlabel "epoch"
set ylabel "loss"
set logscale y
plot "$1" using 1:2 with linespoints title "train", "" using 1:4 with linespoints title "test"
unset logscale y
set ylabel "accuracy"
set key bottom right
plot "$1" using 1:3 with linespoints title "train", "" using 1:5 with linespoints title "test"
unset multiplot
GP
echo "wrote $2"
