"""Who took part: the optional participant profile, Taiwan's population, and the
representativeness figures and weights the opinion report and the survey results show."""
