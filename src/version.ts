// skiff's own version, and the Docker Engine API versions it speaks
// (the API server advertises them; `version` prints them).

export const VERSION = "0.1.0";

/** The newest Docker Engine API version served (Docker 25's), and the oldest accepted. */
export const API_VERSION = "1.44";
export const MIN_API_VERSION = "1.24";
