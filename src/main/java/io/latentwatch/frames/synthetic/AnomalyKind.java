package io.latentwatch.frames.synthetic;

import java.util.List;
import java.util.Locale;

/**
 * What is wrong with a frame of the {@link SyntheticCamera}: the ground truth that alert precision and recall are
 * measured against. {@link #NONE} marks a normal frame.
 */
public enum AnomalyKind {
    /** A normal frame: the part is intact and only pose, position and lighting vary. */
    NONE,
    /** A thin dark groove with a bright edge across the part's face. */
    SCRATCH,
    /** A dark, irregular oil stain on the part's face. */
    STAIN,
    /** A wedge of the part's rim (teeth included) broken off, so the belt shows through. */
    MISSING_PART,
    /** A small object that does not belong there (screw, plastic shard, cable tie) on the belt or the part. */
    FOREIGN_OBJECT,
    /** A band of rows of strong random noise, as from a transmission or sensor glitch. */
    NOISE_BURST,
    /** A black frame: the sensor or its light is dead. */
    BLANK,
    /** A washed-out, nearly white frame: exposure control failed. */
    OVEREXPOSED;

    /** The seven kinds the camera can inject (all but {@link #NONE}), in declaration order. */
    public static final List<AnomalyKind> INJECTED = List.of(SCRATCH, STAIN, MISSING_PART, FOREIGN_OBJECT, NOISE_BURST, BLANK, OVEREXPOSED);

    public boolean isAnomaly() {
        return this != NONE;
    }

    /** Lower-case, dash-separated name ("missing-part"), used as a dataset label and in JSON. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The kind for a {@link #label()} or an enum name, case-insensitive. */
    public static AnomalyKind fromLabel(String label) {
        String key = label.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (AnomalyKind k : values()) {
            if (k.name().equals(key)) {
                return k;
            }
        }
        StringBuilder known = new StringBuilder();
        for (AnomalyKind k : values()) {
            known.append(known.length() == 0 ? "" : ", ").append(k.label());
        }
        throw new IllegalArgumentException("unknown anomaly kind '" + label + "'; known kinds: " + known);
    }
}
