
BprobabilitiesJ(È“Q<Øo,?îT^:œ:õ9q=°=">zÆ<Bøš<ÛäÍ;Ï4=