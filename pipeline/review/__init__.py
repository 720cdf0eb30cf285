"""`jixiao review`: a local web app to check doubtful fields against the page and keep every fix."""
