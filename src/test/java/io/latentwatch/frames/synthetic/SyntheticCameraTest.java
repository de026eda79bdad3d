package io.latentwatch.frames.synthetic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.ImageFrames;
import java.awt.Rectangle;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SyntheticCameraTest {

    private static final int SIZE = 64;

    @Test
    void sameSeedGivesIdenticalFrames() {
        SyntheticCamera a = SyntheticCamera.builder().seed(42).anomalyRate(0.3).build();
        SyntheticCamera b = SyntheticCamera.builder().seed(42).anomalyRate(0.3).build();
        for (int i = 0; i < 20; i++) {
            CameraFrame fa = a.next();
            CameraFrame fb = b.next();
            assertEquals(i, fa.index());
            assertEquals(fa.anomaly(), fb.anomaly(), "frame " + i);
            assertEquals(fa.region(), fb.region(), "frame " + i);
            assertArrayEquals(pixels(fa.image()), pixels(fb.image()), "frame " + i);
        }
        CameraFrame other = SyntheticCamera.builder().seed(43).anomalyRate(0.3).build().frame(0);
        assertFalse(java.util.Arrays.equals(pixels(other.image()), pixels(a.frame(0).image())), "another seed, another scene");
    }

    @Test
    void framesAreRandomAccess() {
        SyntheticCamera cam = SyntheticCamera.builder().seed(3).anomalyRate(0.5).build();
        for (int i = 0; i < 7; i++) {
            cam.next();
        }
        CameraFrame seventh = cam.next();
        CameraFrame direct = SyntheticCamera.builder().seed(3).anomalyRate(0.5).build().frame(7);
        assertArrayEquals(pixels(seventh.image()), pixels(direct.image()));
        assertEquals(8, cam.nextIndex());
        assertEquals(5, SyntheticCamera.builder().optStartIndex(5).build().next().index());
    }

    @Test
    void normalFramesVaryWithinBounds() {
        SyntheticCamera cam = SyntheticCamera.builder().seed(1).build();
        double previousMean = -1;
        for (int i = 0; i < 30; i++) {
            CameraFrame f = cam.next();
            assertEquals(AnomalyKind.NONE, f.anomaly());
            assertTrue(f.region().isEmpty());
            double mean = mean(f.image());
            // the belt scene averages a dark gray; gain and lighting move it, never to black or white
            assertTrue(mean > 40 && mean < 120, "frame " + i + " mean level " + mean);
            assertTrue(previousMean != mean, "consecutive frames differ");
            previousMean = mean;
        }
        double change = meanSquaredDifference(cam.frame(0, AnomalyKind.NONE), cam.frame(1, AnomalyKind.NONE));
        assertTrue(change > 0.01, "pose, position and lighting change between frames: mse " + change);
    }

    @Test
    void anomaliesOccurAtTheirRateAndEveryKindAppears() {
        SyntheticCamera cam = SyntheticCamera.builder().seed(9).anomalyRate(0.2).build();
        Map<AnomalyKind, Integer> counts = new EnumMap<>(AnomalyKind.class);
        int frames = 3500;
        for (int i = 0; i < frames; i++) {
            counts.merge(cam.anomalyAt(i), 1, Integer::sum);
        }
        double rate = 1 - counts.getOrDefault(AnomalyKind.NONE, 0) / (double) frames;
        assertEquals(0.2, rate, 0.03, "anomaly rate");
        for (AnomalyKind k : AnomalyKind.values()) {
            assertTrue(counts.getOrDefault(k, 0) > 50, k + " occurs: " + counts);
        }
        assertEquals(cam.anomalyAt(17), cam.frame(17).anomaly(), "frame() injects what anomalyAt() says");
    }

    @Test
    void enabledKindsOnly() {
        SyntheticCamera cam = SyntheticCamera.builder().anomalyRate(1).optAnomalyKinds(AnomalyKind.STAIN).build();
        for (int i = 0; i < 50; i++) {
            assertEquals(AnomalyKind.STAIN, cam.anomalyAt(i));
        }
        for (int i = 0; i < 50; i++) {
            assertEquals(AnomalyKind.NONE, SyntheticCamera.builder().build().anomalyAt(i));
        }
    }

    /**
     * Each kind changes the frame measurably, inside the region it reports, and local kinds stay small: a few
     * dozen to a few hundred pixels of 4,096, not the whole part.
     */
    @ParameterizedTest
    @EnumSource(value = AnomalyKind.class, names = "NONE", mode = EnumSource.Mode.EXCLUDE)
    void everyAnomalyDiffersMeasurablyFromTheNormalScene(AnomalyKind kind) {
        SyntheticCamera cam = SyntheticCamera.builder().seed(5).build();
        boolean wholeFrame = kind == AnomalyKind.BLANK || kind == AnomalyKind.OVEREXPOSED;
        for (int i = 0; i < 40; i++) {
            CameraFrame normal = cam.frame(i, AnomalyKind.NONE);
            CameraFrame bad = cam.frame(i, kind);
            assertEquals(kind, bad.anomaly());
            int[] a = pixels(normal.image());
            int[] b = pixels(bad.image());
            Rectangle region = bad.region();
            int changed = 0;
            int outside = 0;
            for (int p = 0; p < a.length; p++) {
                if (maxChannelDifference(a[p], b[p]) > 30) {
                    changed++;
                    outside += region.contains(p % SIZE, p / SIZE) ? 0 : 1;
                } else if (!region.contains(p % SIZE, p / SIZE)) {
                    // outside, at most antialiasing noise (Area operations re-trace the whole outline)
                    assertTrue(maxChannelDifference(a[p], b[p]) <= 8, kind + " frame " + i + ": pixel " + p + " outside the region changed");
                }
            }
            double fraction = changed / (double) a.length;
            double mse = meanSquaredDifference(normal, bad);
            if (wholeFrame) {
                assertTrue(fraction > 0.8, kind + " frame " + i + " changes most pixels: " + fraction);
                assertEquals(new Rectangle(0, 0, SIZE, SIZE), region);
            } else {
                assertTrue(fraction >= 10.0 / a.length, kind + " frame " + i + " changes at least 10 pixels: " + changed);
                assertTrue(fraction < 0.25, kind + " frame " + i + " stays local: " + fraction);
                assertTrue(mse > 4e-4, kind + " frame " + i + ": mse to the normal scene " + mse);
                assertTrue(outside <= changed / 20, kind + " frame " + i + ": " + outside + " of " + changed + " changes outside " + region);
            }
        }
    }

    @Test
    void lightingDriftBrightensFramesOverTime() {
        SyntheticCamera steady = SyntheticCamera.builder().seed(2).build();
        SyntheticCamera drifting = SyntheticCamera.builder().seed(2).optLightingDrift(0.02).build();
        assertArrayEquals(pixels(steady.frame(0).image()), pixels(drifting.frame(0).image()), "no drift at frame 0");
        double previous = Double.NEGATIVE_INFINITY;
        for (long start : new long[] {0, 1000, 2000, 3000}) {
            double sum = 0;
            for (long i = start; i < start + 20; i++) {
                double gain = mean(drifting.frame(i).image()) - mean(steady.frame(i).image());
                // 0.02 levels a frame; clipping at 255 takes a little off the brightest pixels
                assertEquals(0.02 * i, gain, 1 + 0.05 * 0.02 * i, "frame " + i);
                sum += mean(drifting.frame(i).image());
            }
            assertTrue(sum / 20 > previous + 10, "frames " + start + "+ are brighter than the block before");
            previous = sum / 20;
        }
    }

    @Test
    void grayscaleCameraGivesTheLumaOfTheColourScene() {
        SyntheticCamera rgb = SyntheticCamera.builder().seed(4).optSensorNoise(0).build();
        SyntheticCamera gray = SyntheticCamera.builder().seed(4).channels(1).optSensorNoise(0).build();
        BufferedImage g = gray.frame(3).image();
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, g.getType());
        float[] fromGray = ImageFrames.normalise(g, 1, SIZE);
        float[] lumaOfRgb = ImageFrames.normalise(rgb.frame(3).image(), 1, SIZE);
        for (int i = 0; i < fromGray.length; i++) {
            assertEquals(lumaOfRgb[i], fromGray[i], 2.5 / 127.5, "pixel " + i); // rounding of 3 channels vs 1
        }
    }

    @Test
    void imageSizeAndChannelsAreHonoured() {
        for (int size : new int[] {16, 28, 32, 128}) {
            BufferedImage img = SyntheticCamera.builder().imageSize(size).anomalyRate(1).build().frame(0).image();
            assertEquals(size, img.getWidth());
            assertEquals(size, img.getHeight());
            assertEquals(BufferedImage.TYPE_INT_RGB, img.getType());
        }
    }

    @Test
    void pngRoundTripsExactlyAndJpegClosely() throws IOException {
        for (int channels : new int[] {1, 3}) {
            CameraFrame f = SyntheticCamera.builder().channels(channels).anomalyRate(1).build().frame(0);
            BufferedImage png = ImageFrames.decode(f.encodePng());
            assertArrayEquals(f.normalise(channels, SIZE), ImageFrames.normalise(png, channels, SIZE));
            float[] jpeg = ImageFrames.normalise(ImageFrames.decode(f.encodeJpeg()), channels, SIZE);
            float[] exact = f.normalise(channels, SIZE);
            double err = 0;
            for (int i = 0; i < exact.length; i++) {
                err += Math.abs(jpeg[i] - exact[i]);
            }
            assertTrue(err / exact.length < 0.06, "JPEG mean error " + err / exact.length);
            assertTrue(ImageEncoding.bmp(f.image()).length > 0);
        }
    }

    /**
     * A fixture changes a frame's pose only, within its degrees: frame i of a ±5° fixture is close to frame i held
     * upright (same position, lighting and noise), and the loose part of frame i is not.
     */
    @Test
    void aFixtureHoldsThePoseAndChangesNothingElse() {
        SyntheticCamera upright = SyntheticCamera.builder().seed(4).optMaxRotation(0).optSensorNoise(0).build();
        SyntheticCamera fixture = SyntheticCamera.builder().seed(4).optMaxRotation(5).optSensorNoise(0).build();
        SyntheticCamera loose = SyntheticCamera.builder().seed(4).optSensorNoise(0).build();
        assertEquals(180, loose.maxRotation());
        double fixtureOff = 0;
        double looseOff = 0;
        for (int i = 0; i < 20; i++) {
            fixtureOff += meanSquaredDifference(upright.frame(i), fixture.frame(i));
            looseOff += meanSquaredDifference(upright.frame(i), loose.frame(i));
            assertEquals(loose.anomalyAt(i), fixture.anomalyAt(i), "the fixture moves no anomaly");
        }
        assertTrue(fixtureOff < 0.25 * looseOff, "fixture " + fixtureOff + " against loose " + looseOff);
        // 180 is the loose camera, pixel for pixel
        assertArrayEquals(pixels(loose.frame(3).image()),
                pixels(SyntheticCamera.builder().seed(4).optSensorNoise(0).optMaxRotation(180).build().frame(3).image()));
    }

    @Test
    void badSettingsAreRefusedWithTheRule() {
        assertMessage("imageSize must be between 16 and 1024 pixels, got 8", () -> SyntheticCamera.builder().imageSize(8).build());
        assertMessage("channels must be 1 (gray) or 3 (RGB), got 2", () -> SyntheticCamera.builder().channels(2).build());
        assertMessage("anomalyRate must be in [0, 1], got 1.5", () -> SyntheticCamera.builder().anomalyRate(1.5).build());
        assertMessage("anomalyRate is 0.1 but no anomaly kinds are enabled",
                () -> SyntheticCamera.builder().anomalyRate(0.1).optAnomalyKinds().build());
        assertMessage("anomaly kinds must not include NONE; set anomalyRate to inject fewer",
                () -> SyntheticCamera.builder().optAnomalyKinds(AnomalyKind.NONE).build());
        assertMessage("lighting drift must be finite, got NaN", () -> SyntheticCamera.builder().optLightingDrift(Double.NaN).build());
        assertMessage("max rotation must be between 0 and 180 degrees, got 181.0", () -> SyntheticCamera.builder().optMaxRotation(181).build());
        assertMessage("frame index must be >= 0, got -1", () -> SyntheticCamera.builder().build().frame(-1));
    }

    @Test
    void anomalyLabelsRoundTrip() {
        for (AnomalyKind k : AnomalyKind.values()) {
            assertEquals(k, AnomalyKind.fromLabel(k.label()));
        }
        assertEquals("missing-part", AnomalyKind.MISSING_PART.label());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AnomalyKind.fromLabel("dent"));
        assertTrue(e.getMessage().startsWith("unknown anomaly kind 'dent'; known kinds: none, scratch, stain"), e.getMessage());
    }

    private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertEquals(expected, e.getMessage());
    }

    /** Packed RGB of every pixel (gray images give r = g = b). */
    private static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    private static int maxChannelDifference(int a, int b) {
        int d = 0;
        for (int shift = 0; shift <= 16; shift += 8) {
            d = Math.max(d, Math.abs(((a >> shift) & 0xff) - ((b >> shift) & 0xff)));
        }
        return d;
    }

    /** Mean level over pixels and channels, 0-255. */
    private static double mean(BufferedImage img) {
        double sum = 0;
        for (int v : pixels(img)) {
            sum += ((v >> 16) & 0xff) + ((v >> 8) & 0xff) + (v & 0xff);
        }
        return sum / 3 / (img.getWidth() * img.getHeight());
    }

    /** Mean squared difference in the model's [−1, 1] space, the scale of the scorer's mse. */
    private static double meanSquaredDifference(CameraFrame a, CameraFrame b) {
        float[] x = a.normalise(3, SIZE);
        float[] y = b.normalise(3, SIZE);
        double sum = 0;
        for (int i = 0; i < x.length; i++) {
            double d = x[i] - y[i];
            sum += d * d;
        }
        return sum / x.length;
    }
}
