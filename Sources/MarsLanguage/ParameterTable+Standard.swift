extension ParameterTable {
    /// The most used ECMWF parameters (short names and paramIds as in ecCodes and metkit).
    package static let standard = ParameterTable(
        [
            ("pt", 3), ("sro", 8), ("ssro", 9), ("ws", 10), ("cvl", 27), ("cvh", 28), ("ci", 31), ("asn", 32), ("rsn", 33),
            ("sst", 34), ("sstk", 34), ("istl1", 35), ("swvl1", 39), ("swvl2", 40), ("swvl3", 41), ("swvl4", 42), ("es", 44),
            ("smlt", 45), ("10fg", 49), ("mx2t24", 51), ("mn2t24", 52), ("pres", 54), ("cape", 59), ("pv", 60), ("crwc", 75),
            ("cswc", 76), ("tclw", 78), ("tciw", 79), ("mx2t6", 121), ("mn2t6", 122), ("10fg6", 123), ("z", 129), ("t", 130),
            ("u", 131), ("v", 132), ("q", 133), ("sp", 134), ("w", 135), ("tcw", 136), ("tcwv", 137), ("vo", 138), ("stl1", 139),
            ("sd", 141), ("lsp", 142), ("cp", 143), ("sf", 144), ("sshf", 146), ("slhf", 147), ("msl", 151), ("lnsp", 152),
            ("d", 155), ("gh", 156), ("r", 157), ("blh", 159), ("sdor", 160), ("tcc", 164), ("10u", 165), ("10v", 166), ("2t", 167),
            ("2d", 168), ("ssrd", 169), ("stl2", 170), ("lsm", 172), ("sr", 173), ("al", 174), ("strd", 175), ("ssr", 176),
            ("str", 177), ("tsr", 178), ("ttr", 179), ("ewss", 180), ("nsss", 181), ("e", 182), ("stl3", 183), ("lcc", 186),
            ("mcc", 187), ("hcc", 188), ("sund", 189), ("mx2t", 201), ("mn2t", 202), ("o3", 203), ("ro", 205), ("tp", 228), ("tco3", 206),
            ("10si", 207), ("tisr", 212), ("stl4", 236), ("fal", 243), ("fsr", 244), ("clwc", 246), ("ciwc", 247), ("cc", 248),
            ("skt", 235), ("vis", 3020), ("i10fg", 228029), ("100u", 228246), ("100v", 228247), ("ptype", 260015),
            ("tprate", 260048),
        ].map { Entry(shortName: $0.0, id: $0.1) }
    )
}
