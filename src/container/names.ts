import { randomInt } from "node:crypto";

// Random container names in Docker's style, adjective_surname; the surnames
// are of people who shaped computing and the sciences around it.

const ADJECTIVES = [
  "agile", "bold", "brave", "bright", "calm", "clever", "cool", "curious", "daring", "eager", "elated", "epic",
  "fervent", "festive", "focused", "gallant", "gentle", "happy", "hopeful", "humble", "jolly", "keen", "kind",
  "lucid", "merry", "modest", "nifty", "nimble", "noble", "patient", "peaceful", "practical", "quiet", "quirky",
  "relaxed", "serene", "sharp", "sleepy", "steady", "stoic", "sweet", "tender", "trusting", "upbeat", "vibrant",
  "vigilant", "wizardly", "wonderful", "youthful", "zealous",
];

const SURNAMES = [
  "allen", "babbage", "backus", "bartik", "bell", "berners", "boole", "brooks", "cerf", "church", "codd", "conway",
  "curie", "dijkstra", "easley", "engelbart", "euler", "feynman", "floyd", "gauss", "goldberg", "hamilton",
  "hopper", "hoare", "jackson", "johnson", "kahn", "kay", "knuth", "lamport", "lovelace", "liskov", "mccarthy",
  "meitner", "minsky", "morse", "noether", "perlman", "pike", "ritchie", "shannon", "shaw", "sammet", "tesla",
  "thompson", "torvalds", "turing", "vaughan", "wilkes", "wirth",
];

export function randomName(taken: (name: string) => boolean): string {
  for (let i = 0; i < 20; i++) {
    const n = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
    if (!taken(n)) return n;
  }
  for (;;) {
    const n = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}${randomInt(10)}`;
    if (!taken(n)) return n;
  }
}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

export function validName(name: string): boolean {
  return NAME_RE.test(name);
}
