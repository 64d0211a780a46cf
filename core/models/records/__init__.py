"""One codec per Redis record: each module reads one kind of hash into a typed, frozen model
(`XRecord.from_hash`), through the shared field parsers in `fields`. Everything that reads a
job, node, agent, payout, purchase, refund or dispute hash goes through its record, so a field's
name and meaning are written down once."""
