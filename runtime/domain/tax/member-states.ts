// The member states are a contract: the stack's config checks the seller's country against the same list.
export * from "../../contracts/member-states";
