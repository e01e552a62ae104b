package workflows

// Bounds of a correlation window's state (CorrelationState), which a hot
// group key would otherwise grow for as long as its alerts keep coming.
// Sources are bounded by MaxSources as an incident's are.
const (
	// MaxRaised is how many of the correlated alerts it raised a window
	// lists, the latest; Fired counts them all.
	MaxRaised = 20
)
