. "$(dirname "$0")/lib.sh"
NP=4
. "$(dirname "$0")/mpi_collectives.sh"
