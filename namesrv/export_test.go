package namesrv

// ScanNotActiveBrokers runs one expiry scan now (tests drive it with a
// fake clock instead of waiting for the ticker).
var ScanNotActiveBrokers = (*Server).scanNotActiveBrokers
