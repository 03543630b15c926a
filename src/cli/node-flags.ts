// How `logistis serve` runs Node.js. V8 sizes the request thread's young generation (where each review's parsed
// objects live and die) at up to 64 MiB by default; 16 MiB (8 MiB semi-spaces) took the server's resident memory
// from about 320 to about 220 MiB in the bench, at the same CPU per capture within the machine's noise although
// the collector runs more often (bench/analysis.md, ADR 0014). V8 reads it only when the process starts, so it is a command-line flag: the
// image's ENTRYPOINT, bin/logistis, the test harness and the bench all pass exactly these (a unit test
// compares them).
export const SERVE_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=8'];
