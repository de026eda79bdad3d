package io.latentwatch.frames;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.latentwatch.frames.synthetic.CameraFrame;
import io.latentwatch.frames.synthetic.SyntheticCamera;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import org.junit.jupiter.api.Test;

/**
 * The byte-array stream reads as ImageIO's memory-cached stream over the same bytes does: the same bytes at the same
 * positions, and for the readers the same images and the same failures, cut short or not.
 */
class ByteArrayImageInputStreamTest {

    @Test
    void readsSeeksAndMarksAsAStreamShould() throws IOException {
        byte[] bytes = new byte[300];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (i * 7);
        }
        try (ImageInputStream s = new ByteArrayImageInputStream(bytes)) {
            assertEquals(0, s.read());
            assertEquals(7, s.read());
            s.mark();
            byte[] b = new byte[10];
            s.readFully(b);
            assertArrayEquals(Arrays.copyOfRange(bytes, 2, 12), b);
            s.reset();
            assertEquals(2, s.getStreamPosition());
            assertEquals((bytes[2] & 0xFF) << 8 | (bytes[3] & 0xFF), s.readUnsignedShort());
            s.seek(295);
            assertEquals(5, s.read(new byte[20], 3, 17));
            assertEquals(-1, s.read());
            assertEquals(-1, s.read(new byte[4], 0, 4));
            assertEquals(0, s.read(new byte[4], 0, 0));
            s.seek(298);
            assertThrows(EOFException.class, () -> s.readFully(new byte[3]));
            assertThrows(IndexOutOfBoundsException.class, () -> s.read(new byte[4], 2, 3));
            assertEquals(-1, s.length());
        }
        ImageInputStream closed = new ByteArrayImageInputStream(bytes);
        closed.close();
        assertThrows(IOException.class, closed::read);
    }

    @Test
    void readersDecodeFromItWhatTheyDecodeFromTheCachedStream() throws IOException {
        List<byte[]> images = new ArrayList<>();
        for (int channels : new int[] {1, 3}) {
            CameraFrame f = SyntheticCamera.builder().seed(9).imageSize(48).channels(channels).build().frame(1);
            images.add(f.encodePng());
            images.add(f.encodeJpeg());
            images.add(ImageEncoding.bmp(f.image()));
        }
        for (byte[] image : images) {
            for (int cut : new int[] {image.length, image.length * 3 / 4, image.length / 2, 40}) {
                byte[] bytes = Arrays.copyOf(image, cut);
                assertEquals(decode(new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))), decode(new ByteArrayImageInputStream(bytes)),
                        "an image of " + image.length + " bytes, cut to " + cut);
            }
        }
    }

    /** What a reader makes of the stream: the image's type and samples, or the failure. */
    private static String decode(ImageInputStream in) throws IOException {
        try (in) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            ImageReader r = readers.next();
            try {
                r.setInput(in, true, true);
                BufferedImage image = r.read(0);
                int[] samples = image.getRaster().getPixels(0, 0, image.getWidth(), image.getHeight(), (int[]) null);
                return r.getFormatName() + " type " + image.getType() + " " + image.getWidth() + "x" + image.getHeight() + " " + Arrays.hashCode(samples);
            } catch (IOException | RuntimeException e) {
                return r.getFormatName() + " " + e;
            } finally {
                r.dispose();
            }
        }
    }
}
