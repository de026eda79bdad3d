package io.latentwatch.model;

/** Which covariance the DIP regulariser pushes towards the identity (Kumar et al. 2018). */
public enum DipType {
    /** DIP-VAE-I: the covariance of the posterior means, Cov[μ]. */
    I,
    /** DIP-VAE-II: Cov[μ] + diag(mean σ²), the covariance of the aggregate posterior. */
    II;

    /** Parses "i"/"ii" (any case), as written in model.json. */
    public static DipType parse(String text) {
        if (text != null) {
            switch (text.trim().toLowerCase(java.util.Locale.ROOT)) {
                case "i":
                    return I;
                case "ii":
                    return II;
                default:
                    break;
            }
        }
        throw new IllegalArgumentException("dip_type must be \"i\" or \"ii\", got " + text);
    }

    /** The lower-case name used in model.json. */
    public String jsonName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
