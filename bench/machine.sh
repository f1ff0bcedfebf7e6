# bench/machine.sh (sourced): one line on the machine a benchmark ran on.
# Huge pages matter here: a new server process maps every shared buffer it
# touches, and on a VM where a page fault costs 10-15 us, 4 kB pages for
# shared_buffers (huge_pages = try finds none unless vm.nr_hugepages is set)
# doubled the first current() at 100,000 revisions (bench/README.md,
# "Page faults").
machine_line() {
  local hp
  hp=$(awk '/^HugePages_Total/ {t = $2} /^HugePages_Free/ {f = $2} /^HugePages_Rsvd/ {r = $2}
            END {printf "%d of %d in use", t - f + r, t}' /proc/meminfo)
  echo "# cores: $(nproc);$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2); load: $(cut -d' ' -f1-3 /proc/loadavg); huge pages: $hp"
}
