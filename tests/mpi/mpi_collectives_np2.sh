. "$(dirname "$0")/lib.sh"
NP=2
. "$(dirname "$0")/mpi_collectives.sh"
