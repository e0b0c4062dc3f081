# Sourced by the benchmark scripts (run from the repository root).
# bench_accounts_sql ROWS prints SQL that creates bench_accounts with
# ROWS rows in 1000-row INSERTs (the nodes have no COPY or
# generate_series yet, so pgbench -i cannot be used).
bench_accounts_sql() {
  local rows=$1 s i
  echo "CREATE TABLE bench_accounts (aid INT PRIMARY KEY, bid INT, abalance INT, filler CHAR(84));"
  for ((s = 1; s <= rows; s += 1000)); do
    printf "INSERT INTO bench_accounts VALUES "
    for ((i = s; i < s + 1000 && i <= rows; i++)); do
      [ $i -gt $s ] && printf ","
      printf "(%d,1,0,'')" $i
    done
    echo ";"
  done
}
