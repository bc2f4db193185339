
BprobabilitiesJ(î­F<·I1?Õ.Y:Ï!ø9–›=0!>M°ý;ž&¡<ØCÊ;{!'=