package users

// UpdateUserStats is the name of the users service's handler that counts registered
// and verified users. It names consumer groups and queues: renaming it re-consumes its
// topics from the start.
const UpdateUserStats = "update-user-stats"
