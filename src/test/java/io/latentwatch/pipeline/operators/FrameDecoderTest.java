package io.latentwatch.pipeline.operators;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.dev.HostileImages;
import io.latentwatch.frames.ChannelPolicy;
import io.latentwatch.frames.Frame;
import io.latentwatch.frames.ImageEncoding;
import io.latentwatch.frames.ImageFrames;
import io.latentwatch.frames.ImageReading;
import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import io.latentwatch.pipeline.kafka.DeadLetter;
import io.latentwatch.pipeline.kafka.RawFrame;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Decoding and validation of frames records: what is scored, and the reason and stage of what is refused. */
class FrameDecoderTest {

    @TempDir Path dir;

    private final SyntheticCamera gray = SyntheticCamera.builder().seed(3).imageSize(32).channels(1).build();
    private final SyntheticCamera rgb = SyntheticCamera.builder().seed(3).imageSize(32).channels(3).build();

    private static RawFrame raw(String key, byte[] value, String... headers) {
        String[] keys = new String[headers.length / 2];
        byte[][] values = new byte[headers.length / 2][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = headers[2 * i];
            values[i] = headers[2 * i + 1].getBytes(StandardCharsets.UTF_8);
        }
        return new RawFrame("frames", 2, 41, 1234, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value, keys, values);
    }

    private static FrameDecoder decoder(ChannelPolicy policy) {
        return new FrameDecoder(1, 32, 10_000, 256, policy);
    }

    private static FrameDecoder.Refused refused(FrameDecoder d, RawFrame r) {
        return assertThrows(FrameDecoder.Refused.class, () -> d.decode(r));
    }

    @Test
    void aGoodFrameIsNormalisedWithItsHeaders() throws Exception {
        CameraFrame f = gray.frame(0);
        Frame frame = decoder(ChannelPolicy.EXACT).decode(raw("cam-1", f.encodePng(), "frame-id", "x-7", "captured-at", "1700000000123"));
        assertEquals("cam-1", frame.source);
        assertEquals("x-7", frame.frameId);
        assertEquals(1700000000123L, frame.capturedAt);
        assertArrayEquals(f.normalise(1, 32), frame.pixels);
        assertEquals(32, frame.width);
        assertEquals(32, frame.height);
    }

    @Test
    void aFrameKeepsItsOwnSizeForItsRegionWhileItsPixelsAreTheModelsGrid() throws Exception {
        BufferedImage wide = new BufferedImage(96, 64, BufferedImage.TYPE_BYTE_GRAY);
        Frame frame = decoder(ChannelPolicy.CONVERT).decode(raw("cam-1", ImageEncoding.png(wide)));
        assertEquals(96, frame.width);
        assertEquals(64, frame.height);
        assertEquals(32 * 32, frame.pixels.length);
    }

    @Test
    void everyFormatIsNormalisedExactlyAsImageFramesNormalisesIt() throws Exception {
        // the decoder owns no arithmetic: what it scores is what training reads from the same bytes
        for (SyntheticCamera camera : new SyntheticCamera[] {gray, rgb}) {
            CameraFrame f = camera.frame(5);
            for (byte[] bytes : new byte[][] {f.encodePng(), f.encodeJpeg(), ImageEncoding.bmp(f.image())}) {
                BufferedImage decoded = ImageFrames.decode(bytes);
                for (int channels : new int[] {1, 3}) {
                    Frame frame = new FrameDecoder(channels, 32, 10_000, 256, ChannelPolicy.CONVERT).decode(raw("cam-1", bytes));
                    assertArrayEquals(ImageFrames.normalise(decoded, channels, 32), frame.pixels, camera + " " + channels);
                }
            }
        }
    }

    @Test
    void withoutHeadersTheIdIsTheRecordsPositionAndTheTimeItsTimestamp() throws Exception {
        Frame frame = decoder(ChannelPolicy.CONVERT).decode(raw("cam-1", rgb.frame(0).encodePng()));
        assertEquals("frames-2-41", frame.frameId);
        assertEquals(1234, frame.capturedAt);
        assertEquals(32 * 32, frame.pixels.length); // colour converted to luma under CONVERT
    }

    @Test
    void badRecordsAreRefusedWithTheirReasonAndStage() {
        FrameDecoder d = decoder(ChannelPolicy.EXACT);
        byte[] png = gray.frame(0).encodePng();
        FrameDecoder.Refused r = refused(d, raw(null, png));
        assertEquals("validate", r.stage);
        assertEquals("no key: the key must be the source id", r.getMessage());
        assertEquals(DeadLetterReason.NO_KEY, r.reason);
        r = refused(d, raw("c", new byte[0]));
        assertEquals("decode", r.stage);
        assertEquals("empty image (0 bytes)", r.getMessage());
        assertEquals(DeadLetterReason.EMPTY, r.reason);
        r = refused(d, raw("c", null));
        assertEquals("empty image (0 bytes)", r.getMessage());
        assertEquals(DeadLetterReason.EMPTY, r.reason);
        r = refused(d, raw("c", "hello".getBytes(StandardCharsets.UTF_8)));
        assertEquals("decode", r.stage);
        assertEquals("not an image (not PNG, JPEG or BMP data)", r.getMessage());
        assertEquals(DeadLetterReason.UNDECODABLE, r.reason);
        r = refused(d, raw("c", java.util.Arrays.copyOf(png, png.length - 40)));
        assertEquals("decode", r.stage);
        assertTrue(r.getMessage().startsWith("undecodable image: "), r.getMessage());
        assertEquals(DeadLetterReason.UNDECODABLE, r.reason);
        r = refused(d, raw("c", new byte[10_001]));
        assertEquals("validate", r.stage);
        assertEquals("frame too large: 10001 bytes, the limit is 10000 (latentwatch.frames.max-bytes)", r.getMessage());
        assertEquals(DeadLetterReason.FRAME_TOO_LARGE, r.reason);
        r = refused(d, raw("c", ImageEncoding.png(new BufferedImage(300, 10, BufferedImage.TYPE_BYTE_GRAY))));
        assertEquals("validate", r.stage);
        assertEquals("image too large: 300x10 pixels, the limit is 256 per side (latentwatch.frames.max-side)", r.getMessage());
        assertEquals(DeadLetterReason.IMAGE_TOO_LARGE, r.reason);
        r = refused(d, raw("c", rgb.frame(0).encodePng()));
        assertEquals("validate", r.stage);
        assertEquals("wrong channel count: the image has 3 colour channels, the model takes 1 (latentwatch.frames.channel-policy=exact)", r.getMessage());
        assertEquals(DeadLetterReason.WRONG_CHANNELS, r.reason);
        r = refused(d, raw("c".repeat(257), png));
        assertEquals("key too long: 257 bytes, a source id has at most 256", r.getMessage());
        assertEquals(DeadLetterReason.KEY_TOO_LONG, r.reason);
        r = refused(d, raw("c", png, "frame-id", "f".repeat(300)));
        assertEquals("frame-id header too long: 300 bytes, at most 256", r.getMessage());
        assertEquals(DeadLetterReason.FRAME_ID_TOO_LONG, r.reason);
        assertEquals(DeadLetter.STAGE_VALIDATE, r.stage);
        r = refused(d, raw("c", png, "captured-at", "noon"));
        assertEquals("validate", r.stage);
        assertEquals("captured-at header is not epoch milliseconds: 'noon'", r.getMessage());
        assertEquals(DeadLetterReason.BAD_CAPTURED_AT, r.reason);
    }

    @Test
    void everyReasonHasAStableShortLabelOfItsStage() {
        Set<String> labels = new HashSet<>();
        for (DeadLetterReason reason : DeadLetterReason.values()) {
            assertTrue(reason.label().matches("[a-z]+(_[a-z]+)*"), reason.label());
            assertTrue(labels.add(reason.label()), "one label per reason: " + reason.label());
            assertTrue(Set.of(DeadLetter.STAGE_DECODE, DeadLetter.STAGE_VALIDATE).contains(reason.stage()), reason.toString());
        }
        assertEquals("image_too_large", DeadLetterReason.IMAGE_TOO_LARGE.label());
    }

    @Test
    void aPixelBombIsADeadLetterAtValidateBeforeAnyPixelIsDecoded() throws Exception {
        // the job's defaults: 4 MB, 4096 per side, 4096 x 4096 pixels
        FrameDecoder defaults = new FrameDecoder(1, 32, 4 << 20, 4096, 4096L * 4096, ChannelPolicy.CONVERT);
        // a side limit that lets the bomb through, so that the pixel limit must stop it
        FrameDecoder wideSides = new FrameDecoder(3, 32, 4 << 20, 65535, 4096L * 4096, ChannelPolicy.CONVERT);
        for (boolean rgb : new boolean[] {false, true}) {
            byte[] bomb = Files.readAllBytes(HostileImages.blackPng(dir.resolve("bomb.png"), 30000, 30000, rgb));
            FrameDecoder.Refused r = refused(defaults, raw("cam-1", bomb));
            assertEquals("validate", r.stage);
            assertEquals("image too large: 30000x30000 pixels, the limit is 4096 per side (latentwatch.frames.max-side)", r.getMessage());
            r = refused(wideSides, raw("cam-1", bomb));
            assertEquals("validate", r.stage);
            assertEquals("image too large: 30000x30000 pixels (900000000), the limit is 16777216 pixels (latentwatch.frames.max-pixels)",
                    r.getMessage());
            assertEquals(DeadLetterReason.IMAGE_TOO_LARGE, r.reason);
        }
        FrameDecoder tight = new FrameDecoder(1, 32, 10_000, 256, 1000, ChannelPolicy.CONVERT);
        FrameDecoder.Refused r = refused(tight, raw("cam-1", gray.frame(0).encodePng()));
        assertEquals("validate", r.stage);
        assertEquals("image too large: 32x32 pixels (1024), the limit is 1000 pixels (latentwatch.frames.max-pixels)", r.getMessage());
    }

    @Test
    void gifAndTiffFramesAreRefusedAtDecode() throws Exception {
        FrameDecoder d = decoder(ChannelPolicy.CONVERT);
        FrameDecoder.Refused r = refused(d, raw("cam-1", Files.readAllBytes(HostileImages.gif(dir.resolve("a.gif")))));
        assertEquals("decode", r.stage);
        assertEquals("not a PNG, JPEG or BMP image (GIF)", r.getMessage());
        r = refused(d, raw("cam-1", Files.readAllBytes(HostileImages.tiff(dir.resolve("a.tif")))));
        assertEquals("decode", r.stage);
        assertEquals("not a PNG, JPEG or BMP image (TIF)", r.getMessage());
    }

    @Test
    void aFrameFarLargerThanTheModelIsScoredFromASubsampledDecode() throws Exception {
        byte[] png = SyntheticCamera.builder().seed(3).imageSize(320).channels(3).build().frame(4).encodePng();
        FrameDecoder d = new FrameDecoder(3, 32, 1 << 20, 4096, ChannelPolicy.CONVERT);
        Frame frame = d.decode(raw("cam-1", png));
        // ImageReadingTest shows a subsampled decode converts close to the whole image; here the job takes that path
        ImageReading.Decoded sub = ImageReading.read(png, ImageReading.PixelBudget.cliDefault(), 32);
        assertEquals(5, sub.period());
        assertArrayEquals(sub.normalise(3, 32), frame.pixels);
        assertEquals(320, frame.width, "the image's own width, not the subsampled decode's");
        assertEquals(320, frame.height);
    }
}
