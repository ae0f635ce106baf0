// SPDX-License-Identifier: MIT
// demo_pngcheck FILE WIDTH HEIGHT MIN_COLOURS: exits 0 when FILE is a PNG of
// that size with more than MIN_COLOURS distinct colours (a real picture, not
// a blank window). Used by screenshot.cmake.
#include <QtCore/qset.h>
#include <QtGui/qimage.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char* argv[]) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: demo_pngcheck FILE WIDTH HEIGHT MIN_COLOURS\n");
    return 2;
  }
  QImage image;
  if (!image.load(QString::fromLocal8Bit(argv[1]), "PNG")) {
    std::fprintf(stderr, "pngcheck: %s is not a readable PNG\n", argv[1]);
    return 1;
  }
  const QSize expected(std::atoi(argv[2]), std::atoi(argv[3]));
  if (image.size() != expected) {
    std::fprintf(stderr, "pngcheck: %dx%d, expected %dx%d\n", image.width(), image.height(), expected.width(),
                 expected.height());
    return 1;
  }
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x)
      colours.insert(image.pixel(x, y));
  std::printf("pngcheck: %dx%d, %lld distinct colours\n", image.width(), image.height(),
              static_cast<long long>(colours.size()));
  return colours.size() > std::atoi(argv[4]) ? 0 : 1;
}
