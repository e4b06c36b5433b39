// The users of the gateway's tests, by id (a token's `sub`): UUIDv7s, as identity's user ids are.

export const alice = "01970000-0000-7000-8000-0000000a11ce";
export const bob = "01970000-0000-7000-8000-000000000b0b";
