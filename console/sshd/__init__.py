"""`lcn serve ssh`: the console served over SSH, one console per session, by key and role."""
